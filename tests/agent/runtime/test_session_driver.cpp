// SessionDriver driven in-process: a test transport stands in for the
// control plane's end of the WebSocket (the only double here), a fake clock
// and its timers for time. Everything between them is the real driver, the
// real session policy, the real parser and encoder, and a real token
// provider. The integration tests keep covering the real TLS transport.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "../session/fakes.hpp"
#include "agent/auth/identity.hpp"
#include "agent/config/loader.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/runtime/session_parts.hpp"

using namespace outpost;
using namespace std::chrono_literals;
using session::testing::FakeClock;
using session::testing::FakeRandom;
using transport::ConnectionState;

namespace {

// Timers on the fake clock: advance() moves the clock and fires what falls
// due, earliest first (ties in the order they were scheduled).
class Timeline {
  public:
    class Timer final : public runtime::DriverTimer {
      public:
        explicit Timer(Timeline& timeline) : timeline_(timeline) {}
        ~Timer() override { timeline_.forget(this); }
        void schedule(std::chrono::milliseconds delay, std::function<void()> callback) override {
            due_ = timeline_.clock_->now() + delay;
            order_ = ++timeline_.scheduled_;
            callback_ = std::move(callback);
            timeline_.armed_.insert(this);
        }
        void cancel() override { timeline_.forget(this); }

      private:
        friend class Timeline;
        Timeline& timeline_;
        std::chrono::steady_clock::time_point due_;
        std::uint64_t order_ = 0;
        std::function<void()> callback_;
    };

    void attach(FakeClock* clock) { clock_ = clock; }

    void advance(std::chrono::milliseconds by) {
        const auto target = clock_->now() + by;
        while (Timer* next = earliest_due_by(target)) {
            if (next->due_ > clock_->now()) clock_->advance(next->due_ - clock_->now());
            forget(next);
            auto callback = std::move(next->callback_);
            callback();
        }
        if (target > clock_->now()) clock_->advance(target - clock_->now());
    }

  private:
    Timer* earliest_due_by(std::chrono::steady_clock::time_point target) const {
        Timer* best = nullptr;
        for (Timer* timer : armed_) {
            if (timer->due_ > target) continue;
            if (best == nullptr ||
                std::tie(timer->due_, timer->order_) < std::tie(best->due_, best->order_)) {
                best = timer;
            }
        }
        return best;
    }
    void forget(Timer* timer) { armed_.erase(timer); }

    FakeClock* clock_ = nullptr;
    std::uint64_t scheduled_ = 0;
    std::set<Timer*> armed_;
};

// The server's end of the connection. Like WsConnection, it reports events
// only when the test says the peer did something, never from inside a call.
class TestConnection final : public transport::Connection {
  public:
    explicit TestConnection(transport::ConnectionEvents events) : events_(std::move(events)) {}

    Expected<void> connect(const transport::ConnectSettings& settings, std::string token) override {
        if (state_ != ConnectionState::kIdle) return std::unexpected(Error("already connecting"));
        url = settings.url;
        tokens.push_back(std::move(token));
        state_ = ConnectionState::kConnecting;
        return {};
    }
    Expected<void> send(std::string message) override {
        if (state_ != ConnectionState::kOpen) return std::unexpected(Error("not open"));
        if (!peer_reads) unread_bytes += message.size();
        sent.push_back(std::move(message));
        return {};
    }
    void close(int code, std::string reason) override {
        closed_with = code;
        close_reason = std::move(reason);
        state_ = ConnectionState::kClosing;
    }
    void abort() override {
        ++aborts;
        state_ = ConnectionState::kClosing;
    }
    [[nodiscard]] State state() const override { return state_; }
    [[nodiscard]] bool fully_written() const override { return unread_bytes == 0; }
    // What a peer that stopped reading leaves queued; 0 while it reads.
    [[nodiscard]] size_t queued_bytes() const override { return unread_bytes; }

    // --- what the peer does ---
    void accept(std::string_view subprotocol = "outpost.v1") {
        REQUIRE(state_ == ConnectionState::kConnecting);
        state_ = ConnectionState::kOpen;
        events_.on_open(subprotocol);
    }
    void receive(const std::string& text) {
        REQUIRE(state_ == ConnectionState::kOpen);
        events_.on_message(text);
    }
    // The peer stops reading: what is sent from now on stays queued.
    void stop_reading() { peer_reads = false; }
    // It reads again, and takes everything queued.
    void read_everything() {
        peer_reads = true;
        unread_bytes = 0;
    }
    void peer_closes(int code, std::string reason) {
        state_ = ConnectionState::kIdle;
        events_.on_closed(code, std::move(reason));
    }
    // Our close() or abort() completed.
    void finish_closing() {
        REQUIRE(state_ == ConnectionState::kClosing);
        state_ = ConnectionState::kIdle;
        std::optional<int> code = closed_with;
        events_.on_closed(code, close_reason);
    }

    // The `type` of each message sent, in order.
    [[nodiscard]] std::vector<std::string> sent_types() const {
        std::vector<std::string> types;
        constexpr std::string_view kPrefix = R"({"type":")";
        for (const std::string& text : sent) {
            REQUIRE(text.starts_with(kPrefix));
            types.push_back(
                text.substr(kPrefix.size(), text.find('"', kPrefix.size()) - kPrefix.size()));
        }
        return types;
    }

    std::string url;
    std::vector<std::string> tokens;  // one per connect()
    std::vector<std::string> sent;
    std::optional<int> closed_with;
    std::string close_reason;
    int aborts = 0;
    bool peer_reads = true;
    size_t unread_bytes = 0;

  private:
    transport::ConnectionEvents events_;
    ConnectionState state_ = ConnectionState::kIdle;
};

std::string envelope(std::string_view type, std::string_view id, std::string_view data) {
    return std::string(R"({"type":")") + std::string(type) + R"(","id":")" + std::string(id) +
           R"(","ts":"2026-11-22T10:00:00.123Z","data":)" + std::string(data) + "}";
}

std::string welcome(int heartbeat_s = 15) {
    return envelope("welcome", "w-1",
                    R"({"protocol":"outpost.v1","session_id":"s-1",)"
                    R"("server_time":"2026-11-22T10:00:00Z","heartbeat_s":)" +
                        std::to_string(heartbeat_s) + "}");
}

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "outpost-driver-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

auth::Identity make_identity(const std::filesystem::path& state_dir) {
    auto made = auth::load_or_create_identity(state_dir, std::nullopt);
    REQUIRE(made);
    return std::move(*made);
}

// A driver in auth.mode exchange, whose token endpoint answers tok-1,
// tok-2, ... (one per POST) for an hour each.
struct Harness {
    Harness() {
        auto loaded = config::load_config_text(
            "server:\n  url: wss://hub.example.com/v1/agent\n"
            "auth:\n  mode: exchange\n  token_url: https://hub.example.com/v1/token\n",
            "test.yaml");
        REQUIRE(loaded);
        config = std::move(*loaded);

        runtime::SessionParts parts;
        parts.connect.url = config.server.url;
        parts.make_connection = [this](transport::ConnectionEvents events) {
            auto made_connection = std::make_unique<TestConnection>(std::move(events));
            connection = made_connection.get();
            return made_connection;
        };
        auto post = [this](const std::string&, std::string,
                           std::function<void(Expected<auth::HttpReply>)> done) {
            ++token_posts;
            done(auth::HttpReply{200, R"({"access_token":"tok-)" + std::to_string(token_posts) +
                                          R"(","expires_in":3600})"});
        };
        auto fake_clock = std::make_unique<FakeClock>();
        clock = fake_clock.get();
        parts.tokens = auth::make_exchange_provider(identity, config.auth.audience, 60s,
                                                    *config.auth.token_url, post,
                                                    [this] { return clock->wall_now(); });
        parts.make_timer = [this] { return std::make_unique<Timeline::Timer>(timeline); };
        parts.clock = std::move(fake_clock);
        parts.random = std::make_unique<FakeRandom>(FakeRandom::Mode::high);
        timeline.attach(clock);
        driver = std::make_unique<runtime::SessionDriver>(config, identity, std::move(parts));
        runtime::SessionDriver::Hooks hooks;
        hooks.on_message = [this](const protocol::InboundMessage& m) {
            dispatched.push_back(m.type);
        };
        driver->set_hooks(std::move(hooks));
    }

    // Started, connected with the first token, hello sent.
    void open() {
        driver->start();
        timeline.advance(0ms);
        REQUIRE(connection->tokens.size() == 1);
        connection->accept();
    }
    void open_and_welcome() {
        open();
        connection->receive(welcome());
        REQUIRE(driver->online());
        connection->sent.clear();
    }

    TempDir state;
    config::Config config;
    auth::Identity identity = make_identity(state.path / "state");
    Timeline timeline;
    FakeClock* clock = nullptr;            // owned by the driver
    TestConnection* connection = nullptr;  // owned by the driver
    int token_posts = 0;
    std::vector<std::string> dispatched;
    std::unique_ptr<runtime::SessionDriver> driver;
};

}  // namespace

TEST_CASE("session driver: nothing but hello goes out before welcome", "[session_driver]") {
    Harness h;
    h.open();
    CHECK(h.connection->url == "wss://hub.example.com/v1/agent");
    CHECK(h.connection->tokens.front() == "tok-1");
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});

    // The rest of the agent cannot send, the server's ping is not answered,
    // and a command is not handed on, until welcome.
    CHECK_FALSE(h.driver->send(protocol::outbound::Pong{"x"}));
    CHECK_FALSE(h.driver->send_encoded(R"({"type":"pong"})"));
    CHECK_FALSE(h.driver->send_probe().has_value());
    h.connection->receive(envelope("ping", "p-0", "{}"));
    h.connection->receive(envelope("health_check", "h-0", R"({"request_id":"r-0"})"));
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});
    CHECK(h.dispatched.empty());

    // Welcome: the session's status first, then the server's ping is
    // answered and other messages reach the dispatcher.
    h.connection->receive(welcome());
    CHECK(h.driver->online());
    h.connection->receive(envelope("ping", "p-1", "{}"));
    h.connection->receive(envelope("health_check", "h-1", R"({"request_id":"r-1"})"));
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello", "status", "pong"});
    CHECK(h.connection->sent.back().find(R"("ref":"p-1")") != std::string::npos);
    CHECK(h.dispatched == std::vector<std::string>{"health_check"});
}

TEST_CASE("session driver: no welcome within welcome_timeout closes with 1002, then backs off",
          "[session_driver]") {
    Harness h;
    h.open();
    h.timeline.advance(9999ms);
    CHECK_FALSE(h.connection->closed_with);
    h.timeline.advance(1ms);
    REQUIRE(h.connection->closed_with == 1002);
    CHECK(h.driver->snapshot().state == session::State::backoff);
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});

    // The next attempt after the backoff (reconnect.initial, 1 s, at the top
    // of its jitter), with a fresh token (auth.mode exchange: only when
    // needed, and the first is still good).
    h.connection->finish_closing();
    h.timeline.advance(999ms);
    CHECK(h.connection->tokens.size() == 1);
    h.timeline.advance(1ms);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-1"});
    CHECK(h.token_posts == 1);
}

TEST_CASE("session driver: 4001 refreshes the token and reconnects at once", "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.connection->peer_closes(4001, "token expired");
    CHECK_FALSE(h.driver->online());
    h.timeline.advance(0ms);
    CHECK(h.token_posts == 2);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-2"});

    // A second 4001 within min_4001_interval (10 s) waits for the rest of it.
    h.connection->accept();
    h.connection->receive(welcome());
    h.connection->peer_closes(4001, "token expired");
    h.timeline.advance(9999ms);
    CHECK(h.connection->tokens.size() == 2);
    h.timeline.advance(1ms);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-2", "tok-3"});
}

TEST_CASE("session driver: an ordinary close keeps the token and waits the backoff",
          "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.connection->peer_closes(1000, "bye");
    h.timeline.advance(999ms);
    CHECK(h.connection->tokens.size() == 1);
    h.timeline.advance(1ms);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-1"});
    CHECK(h.token_posts == 1);
}

TEST_CASE("session driver: pings after heartbeat_s of quiet, drops a silent peer after 3x",
          "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.timeline.advance(14s);
    CHECK(h.connection->sent.empty());
    h.timeline.advance(1s);
    CHECK(h.connection->sent_types() == std::vector<std::string>{"ping"});

    // Any inbound message is proof of life and puts the deadline back.
    h.timeline.advance(29s);
    h.connection->receive(envelope("pong", "q-1", R"({"ref":"x"})"));
    h.timeline.advance(44s);
    CHECK(h.connection->aborts == 0);
    CHECK(h.driver->online());
    h.timeline.advance(1s);
    CHECK(h.connection->aborts == 1);
    CHECK_FALSE(h.driver->online());
}

namespace {

// An outbox message of about `bytes`, as OutboxSender hands it over.
std::string large_report(std::size_t bytes, int n) {
    return envelope("telemetry", "t-" + std::to_string(n),
                    R"({"pad":")" + std::string(bytes, 'x') + R"("})");
}

// The peer stops reading; three reports of 800 kB put the queue over the
// mark (2 x the default 1 MiB max_message_bytes).
void fill_past_the_mark(Harness& h) {
    h.connection->stop_reading();
    for (int n = 1; n <= 3; ++n) {
        REQUIRE_FALSE(h.driver->backpressured());
        REQUIRE(h.driver->send_encoded(large_report(800'000, n)));
    }
    REQUIRE(h.driver->backpressured());
}

}  // namespace

TEST_CASE("session driver: over the send queue's mark nothing more is queued, pongs included",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    fill_past_the_mark(h);
    const size_t queued = h.connection->queued_bytes();
    // The server keeps pinging: its pings go unanswered, not queued.
    for (int i = 0; i < 1000; ++i) {
        h.connection->receive(envelope("ping", "p-" + std::to_string(i), "{}"));
    }
    CHECK_FALSE(h.driver->send_encoded(large_report(10, 4)));
    CHECK_FALSE(h.driver->send(protocol::outbound::Pong{"p-x"}));
    CHECK_FALSE(h.driver->send_probe().has_value());
    CHECK(h.connection->queued_bytes() == queued);
    CHECK(h.connection->sent.size() == 3);

    // Drained: everything goes out again.
    h.connection->read_everything();
    CHECK_FALSE(h.driver->backpressured());
    h.connection->receive(envelope("ping", "p-again", "{}"));
    CHECK(h.connection->sent.size() == 4);
    CHECK(h.connection->sent.back().find(R"("ref":"p-again")") != std::string::npos);
}

TEST_CASE("session driver: over the mark, acks use a small reserve that pings cannot fill",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    // Just over the mark (2 x the default 1 MiB), well inside the reserve.
    h.connection->stop_reading();
    REQUIRE(h.driver->send_encoded(large_report(800'000, 1)));
    REQUIRE(h.driver->send_encoded(large_report(800'000, 2)));
    REQUIRE(h.driver->send_encoded(large_report(497'400, 3)));
    REQUIRE(h.driver->backpressured());
    const size_t at_mark = h.connection->queued_bytes();
    REQUIRE(at_mark < 2 * 1024 * 1024 + 1024);
    // A flood of pings takes nothing: pongs never use the reserve.
    for (int i = 0; i < 100; ++i) {
        h.connection->receive(envelope("ping", "p-" + std::to_string(i), "{}"));
    }
    CHECK(h.connection->queued_bytes() == at_mark);
    // An ack is a config_update's or a held command's only answer: it goes.
    CHECK(h.driver->send(protocol::outbound::CommandAck{
        "r-1", protocol::outbound::AckState::accepted, std::nullopt}));
    CHECK(h.connection->sent.back().find(R"("request_id":"r-1")") != std::string::npos);
    // The reserve is bounded: acks stop before the queue holds 64 KiB more
    // (plus one message), and results still wait in the journal.
    int acks = 1;
    while (h.driver->send(protocol::outbound::CommandAck{
        "r-" + std::to_string(++acks), protocol::outbound::AckState::accepted, std::nullopt})) {
        REQUIRE(acks < 10'000);
    }
    CHECK(acks > 100);
    CHECK(h.connection->queued_bytes() < at_mark + 64 * 1024 + 1024);
    CHECK_FALSE(h.driver->send_encoded(large_report(10, 9)));
}

TEST_CASE(
    "session driver: a queue over the mark for 3 x heartbeat is dropped, though the "
    "server keeps pinging",
    "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();  // heartbeat 15 s
    fill_past_the_mark(h);
    for (int second = 1; second < 45; ++second) {
        h.timeline.advance(1s);
        h.connection->receive(envelope("ping", "p-" + std::to_string(second), "{}"));
    }
    CHECK(h.connection->aborts == 0);
    CHECK(h.driver->online());
    h.timeline.advance(1s);
    CHECK(h.connection->aborts == 1);  // dropped, no close frame: it could not be written
    CHECK_FALSE(h.driver->online());
    CHECK(h.driver->snapshot().last_error->what == "write stalled");

    // Reconnects like after a dead peer; the new connection starts clean.
    h.connection->finish_closing();
    h.connection->read_everything();
    h.timeline.advance(1min);
    REQUIRE(h.connection->state() == ConnectionState::kConnecting);
    h.connection->accept();
    CHECK_FALSE(h.driver->backpressured());
}

TEST_CASE("session driver: a queue that drains below the mark in time is kept",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    fill_past_the_mark(h);
    h.timeline.advance(40s);
    h.connection->receive(envelope("ping", "p-1", "{}"));
    h.connection->read_everything();  // a slow reader, not a dead one
    h.timeline.advance(5s);
    h.connection->receive(envelope("ping", "p-2", "{}"));
    h.timeline.advance(10s);
    h.connection->receive(envelope("ping", "p-3", "{}"));
    h.timeline.advance(10s);
    CHECK(h.connection->aborts == 0);
    CHECK(h.driver->online());
}

TEST_CASE("session driver: a graceful stop says offline, then closes with 1001",
          "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.driver->shutdown("agent stopping");
    CHECK(h.connection->sent_types() == std::vector<std::string>{"status"});
    CHECK(h.connection->sent.back().find(R"("offline")") != std::string::npos);
    CHECK(h.driver->flushed());
    h.driver->close_for_shutdown();
    CHECK(h.connection->closed_with == 1001);
    h.connection->finish_closing();
    CHECK(h.driver->idle());
    // Terminal: no further attempt, however long.
    h.timeline.advance(1h);
    CHECK(h.connection->tokens.size() == 1);
}
