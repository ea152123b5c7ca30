#include "hub.hpp"

#include <algorithm>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

namespace outpost::integration {
namespace {

constexpr auto kStartLimit = 30s;  // sanitizer builds on a busy machine start slowly

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

EventPredicate event_named(std::string name) {
    return [name = std::move(name)](const Event& e) { return e.is(name); };
}
EventPredicate message_of_type(std::string type) {
    return [type = std::move(type)](const Event& e) { return e.is_message(type); };
}
EventPredicate sent_of_type(std::string type) {
    return [type = std::move(type)](const Event& e) { return e.is_sent(type); };
}
EventPredicate upgrade_with_status(int status) {
    return [status](const Event& e) { return e.is("upgrade") && e.num("/status") == status; };
}
EventPredicate connected_event() {
    return event_named("connected");
}
EventPredicate closed_event() {
    return event_named("closed");
}
EventPredicate connected_over(std::string transport) {
    return [transport = std::move(transport)](const Event& e) {
        return e.is("connected") && e.str("/transport") == transport;
    };
}
EventPredicate poll_event() {
    return event_named("poll");
}

Hub::Hub(const TempDir& dir, HubOptions options)
    : dir_(dir), options_(std::move(options)), pki_dir_(dir.file("pki")) {
    ChildProcess gen(SpawnOptions({OUTPOST_HUB_BIN, "gen-certs", "--dir", pki_dir_}));
    auto status = gen.wait_exit(Clock::now() + kStartLimit);
    INFO("outpost-hub gen-certs: " << gen.all_output(ChildProcess::Stream::err));
    REQUIRE(status);
    REQUIRE(describe_status(*status) == "exited with 0");
    REQUIRE(std::filesystem::exists(pki_file("server.pem")));
}

Hub::~Hub() {
    if (process_) {
        process_->terminate();
        drain();
        stderr_log_ += process_->all_output(ChildProcess::Stream::err);
    }
    if (current_test_failed()) {
        print_block("outpost-hub events", transcript());
        print_block("outpost-hub stderr", stderr_log_);
    }
}

void Hub::accept_agent_key(const std::string& node_id, const std::string& public_key) {
    agent_keys_.push_back(node_id + "=" + public_key);
}

void Hub::start() {
    REQUIRE_FALSE(running());
    if (process_) {
        stderr_log_ += process_->all_output(ChildProcess::Stream::err);
        process_.reset();
    }
    const std::string port_file = dir_.file("hub.port");
    std::filesystem::remove(port_file);
    std::vector<std::string> argv = {
        OUTPOST_HUB_BIN, "--certs-dir",         pki_dir_,
        "--port",        std::to_string(port_), "--port-file",
        port_file,       "--heartbeat",         std::to_string(options_.heartbeat_s)};
    if (options_.token_ttl_s) {
        argv.insert(argv.end(), {"--token-ttl", std::to_string(*options_.token_ttl_s)});
    }
    for (const auto& key : agent_keys_) argv.insert(argv.end(), {"--agent-key", key});
    argv.insert(argv.end(), options_.extra.begin(), options_.extra.end());
    process_ = std::make_unique<ChildProcess>(SpawnOptions(argv));

    const std::size_t from = mark();
    const Event* listening = wait_event(event_named("listening"), kStartLimit, from);
    INFO("outpost-hub stderr: " << process_->all_output(ChildProcess::Stream::err));
    REQUIRE(listening != nullptr);
    auto port = listening->num("/port");
    REQUIRE(port);
    // --port-file is written before `listening`; both must agree.
    REQUIRE(trim(read_file(port_file)) == std::to_string(*port));
    if (port_ != 0) REQUIRE(*port == port_);
    port_ = static_cast<int>(*port);
}

void Hub::stop() {
    if (!running()) return;
    const std::size_t from = mark();
    process_->write_stdin("quit\n");
    wait_event(event_named("stopped"), 10s, from);
    if (!process_->wait_exit(Clock::now() + 10s)) process_->terminate(0ms);
    drain();
}

void Hub::kill() {
    if (!running()) return;
    process_->send_signal(SIGKILL);
    process_->wait_exit(Clock::now() + 10s);
    drain();
}

std::string Hub::url() const {
    const bool plaintext = std::find(options_.extra.begin(), options_.extra.end(),
                                     std::string("--plaintext")) != options_.extra.end();
    return (plaintext ? "ws://localhost:" : "wss://localhost:") + std::to_string(port_) +
           "/v1/agent";
}
std::string Hub::token_url() const {
    return "https://localhost:" + std::to_string(port_) + "/v1/token";
}
std::string Hub::poll_url() const {
    return "https://localhost:" + std::to_string(port_) + "/v1/poll";
}
std::string Hub::pki_file(const std::string& name) const {
    return pki_dir_ + "/" + name;
}
std::string Hub::spki_pin() const {
    return trim(read_file(pki_file("server.spki-sha256")));
}

std::size_t Hub::command(const std::string& line, std::chrono::milliseconds limit) {
    REQUIRE(running());
    const std::string verb = line.substr(0, line.find(' '));
    const std::size_t from = mark();
    REQUIRE(process_->write_stdin(line + "\n"));
    const Event* answer = wait_event(
        [&](const Event& e) {
            if (e.is("ok")) return e.str("/command") == verb;
            if (e.is("error")) return e.str("/message").value_or("").starts_with(verb + ":");
            return false;
        },
        limit, from);
    INFO("hub command: " << line);
    REQUIRE(answer != nullptr);
    INFO("hub answer: " << answer->line());
    REQUIRE(answer->is("ok"));
    return answer->index();
}

void Hub::pump(std::chrono::milliseconds timeout) {
    ChildProcess::pump(timeout);
    drain();
}

void Hub::drain() {
    if (!process_) return;
    while (auto line = process_->take_line(ChildProcess::Stream::out)) {
        events_.emplace_back(std::move(*line), Clock::now(), events_.size());
    }
}

const Event* Hub::wait_event(const EventPredicate& pred, std::chrono::milliseconds limit,
                             std::size_t from) {
    const auto deadline = Clock::now() + limit;
    std::size_t next = from;
    for (;;) {
        drain();
        for (; next < events_.size(); ++next) {
            if (pred(events_[next])) return &events_[next];
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left <= 0ms) return nullptr;
        ChildProcess::pump(std::min<std::chrono::milliseconds>(left, 50ms));
    }
}

const Event& Hub::expect_event(const EventPredicate& pred, std::chrono::milliseconds limit,
                               std::size_t from, const std::string& what) {
    const Event* e = wait_event(pred, limit, from);
    INFO("waited " << limit.count() << " ms for: " << what);
    REQUIRE(e != nullptr);
    return *e;
}

void Hub::idle(std::chrono::milliseconds d) {
    const auto deadline = Clock::now() + d;
    for (auto left = d; left > 0ms;
         left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())) {
        pump(std::min<std::chrono::milliseconds>(left, 50ms));
    }
    drain();
}

std::vector<const Event*> Hub::events(const EventPredicate& pred, std::size_t from,
                                      std::size_t to) {
    pump();
    std::vector<const Event*> out;
    for (std::size_t i = from; i < std::min(to, events_.size()); ++i) {
        if (pred(events_[i])) out.push_back(&events_[i]);
    }
    return out;
}

std::string Hub::transcript() const {
    std::string out;
    if (events_.empty()) return out;
    const auto t0 = events_.front().at();
    for (const Event& e : events_) {
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "[%8.3f] ", seconds(e.at() - t0));
        out += stamp;
        out += e.line();
        out += '\n';
    }
    return out;
}

}  // namespace outpost::integration
