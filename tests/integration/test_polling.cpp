// The HTTPS polling fallback (protocol.md §7, issue 18) end to end: the real
// agent against the real hub's POST /v1/poll over real TLS — from the start
// (server.transport: poll), through a real nginx that does not pass WebSocket
// upgrades, through tinyproxy (CONNECT), with a poll answer lost after the
// hub processed it, and back to the WebSocket when upgrades work again.
// Polls come every second (poll_interval 1s) to keep each test short.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "polling_support.hpp"
#include "rig.hpp"
#include "seal_support.hpp"
#include "tests/support/skip.hpp"

using namespace outpost::integration;

namespace {

// A reverse proxy that knows nothing of WebSockets: TLS in front, plain
// proxying of /v1/ to the hub over TLS, and no `Upgrade`/`Connection`
// forwarding — so nginx sends the hub a plain GET (it answers 426) and
// passes the polls.
std::string plain_proxy_conf(const std::string& dir, const Hub& hub, int port) {
    const std::string user = ::geteuid() == 0 ? "user root;\n" : "";
    std::string temp;
    for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
        temp += "  " + std::string(kind) + "_temp_path " + dir + "/" + kind + ";\n";
    }
    return user + "daemon off;\nworker_processes 1;\npid " + dir + "/nginx.pid;\nerror_log " + dir +
           "/error.log info;\nevents { worker_connections 64; }\nhttp {\n" +
           "  log_format outpost '\"$request\" $status up=$upstream_status "
           "upgrade=\"$http_upgrade\"';\n  access_log " +
           dir + "/access.log outpost;\n" + temp +
           "  server {\n    listen 127.0.0.1:" + std::to_string(port) +
           " ssl;\n    ssl_certificate " + hub.pki_file("server.pem") +
           ";\n    ssl_certificate_key " + hub.pki_file("server.key") +
           ";\n    location /v1/ {\n      proxy_pass https://127.0.0.1:" +
           std::to_string(hub.port()) +
           ";\n      proxy_http_version 1.1;\n      proxy_ssl_verify off;\n    }\n  }\n}\n";
}

struct PlainProxy {
    PlainProxy(const std::string& binary, const std::string& root, const Hub& hub)
        : dir(root), port(free_loopback_port()) {
        std::filesystem::create_directories(dir);
        write_file(dir + "/nginx.conf", plain_proxy_conf(dir, hub, port));
        process = std::make_unique<ChildProcess>(
            SpawnOptions({binary, "-c", dir + "/nginx.conf", "-p", dir, "-e", dir + "/error.log"}));
    }
    ~PlainProxy() {
        if (current_test_failed()) {
            print_block("nginx error.log", read_file(dir + "/error.log"));
            print_block("nginx access.log", read_file(dir + "/access.log"));
        }
        process->send_signal(SIGQUIT);
        if (!process->wait_exit(Clock::now() + 5s)) process->terminate(0ms);
    }
    [[nodiscard]] std::string base() const { return "localhost:" + std::to_string(port); }

    std::string dir;
    int port;
    std::unique_ptr<ChildProcess> process;
};

// A command over the current session, checked end to end: accepted, run
// once, its result at the hub in `session`, and the hub's result_ack written
// in `session` (over polling: in the answer to a later poll).
void run_command(Rig& rig, const AppendEntry& append, const std::string& id,
                 const std::string& session) {
    Hub& hub = rig.hub;
    const std::size_t from = hub.mark();
    hub.command(execute_line(id, "append", {id, "0"}));
    const Event& ack = hub.expect_event(in_session(ack_for(id), session), kEventLimit, from,
                                        "command_ack of " + id);
    CHECK(ack.str("/msg/data/state") == "accepted");
    const Event& result = hub.expect_event(in_session(result_for(id), session), kEventLimit, from,
                                           "command_result of " + id);
    CHECK(result.str("/msg/data/state") == "succeeded");
    hub.expect_event(
        [&](const Event& e) { return e.is_sent("result_ack") && e.str("/session") == session; },
        kEventLimit, result.index(), "result_ack written to the agent");
    CHECK(append.count(id) == 1);
}

// Waits for `count` more answered polls of `session` after event `from`.
void wait_polls(Hub& hub, const std::string& session, int count, std::size_t from) {
    for (int i = 0; i < count; ++i) {
        const Event& p = hub.expect_event(
            [&](const Event& e) {
                return e.is("poll") && e.str("/session") == session && e.num("/status") == 200;
            },
            kEventLimit, from, "a poll");
        from = p.index() + 1;
    }
}

// server.transport: poll. It still tries the WebSocket in the background
// (§7) and would move to it, so upgrades are refused: the test stays on polls.
void poll_from_the_start(Rig& rig) {
    configure_polling(rig.agent, rig.hub.poll_url());
    rig.agent.set("server", "transport", "poll");
    rig.hub.command("refuse-upgrades 400");
}

std::size_t count_results(Hub& hub, const std::string& id) {
    return hub.events(result_for(id)).size();
}

}  // namespace

TEST_CASE("polling from the start: server.transport poll, hello alone, a command acked over polls",
          "[integration][polling]") {
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    poll_from_the_start(rig);

    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);
    const std::string session = wait_polling(rig, from, log_from);
    CHECK(rig.agent.wait_log("transport: polling " + rig.hub.poll_url(), 0ms, log_from));

    // §7: the period's first poll carries hello alone, and its answer the welcome.
    const Event& first = rig.hub.expect_event(
        [&](const Event& e) { return e.is("poll") && e.str("/session") == session; }, kEventLimit,
        from, "the period's first poll");
    CHECK(first.num("/received") == 1);
    CHECK(first.num("/carried") == 1);
    CHECK(rig.hub.events(in_session(message_of_type("hello"), session)).size() == 1);

    run_command(rig, append, "poll-1", session);
    // Acknowledged: the next polls do not carry the result again.
    wait_polls(rig.hub, session, 3, rig.hub.mark());
    CHECK(count_results(rig.hub, "poll-1") == 1);
    CHECK(rig.agent.running());
}

TEST_CASE(
    "polling through nginx without Upgrade forwarding: 3 failed upgrades, then commands, "
    "telemetry and health over polls",
    "[integration][polling][nginx]") {
    const std::string nginx_bin = OUTPOST_NGINX_BIN;
    if (nginx_bin.empty() || !std::filesystem::exists(nginx_bin)) {
        OUTPOST_SKIP("nginx is not installed (scripts/install-deps installs nginx-light): skipped");
    }
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    PlainProxy nginx(nginx_bin, rig.dir.file("nginx"), rig.hub);
    REQUIRE(wait_for_port(nginx.port, 10s));
    const std::string poll_url = "https://" + nginx.base() + "/v1/poll";
    configure_polling(rig.agent, poll_url);  // poll_after stays 5 min: the 3 failures decide
    rig.agent.set("telemetry", "interval", "2s");
    rig.agent.set("health", "interval", "10s");  // the schema's minimum

    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub, "wss://" + nginx.base() + "/v1/agent");
    const std::string session = wait_polling(rig, from, log_from);

    // The upgrades reached the hub as plain GETs (nginx dropped Upgrade), it
    // answered 426, and the agent took that as a failed upgrade, not as a
    // version mismatch: no upgrade ever got to the hub's WebSocket side.
    const auto refused = rig.hub.events(
        [](const Event& e) { return e.is("http") && e.num("/status") == 426; }, from);
    CHECK(refused.size() >= 3);
    CHECK(rig.hub.events(event_named("upgrade"), from).empty());
    const auto switched = rig.agent.wait_log("transport: polling " + poll_url, 0ms, log_from);
    REQUIRE(switched);
    INFO(rig.agent.lines()[*switched]);
    CHECK(rig.agent.lines()[*switched].find("426") != std::string::npos);
    CHECK(rig.agent.count_log("incompatible", log_from) == 0);

    run_command(rig, append, "nginx-1", session);
    rig.hub.expect_event(in_session(message_of_type("telemetry"), session), kEventLimit, from,
                         "telemetry over polls");
    rig.hub.expect_event(in_session(message_of_type("health"), session), 30s, from,
                         "health over polls");
    // Each poll went through nginx: its access log shows them.
    CHECK(read_file(nginx.dir + "/access.log").find("POST /v1/poll") != std::string::npos);
}

TEST_CASE(
    "a poll answer lost after the hub processed it: the result comes again, the command ran "
    "once",
    "[integration][polling]") {
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    poll_from_the_start(rig);
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);
    const std::string first = wait_polling(rig, from, log_from);

    Hub& hub = rig.hub;
    hub.command("drop-next-poll-reply command_result");
    const std::size_t sent_at = hub.mark();
    const std::size_t log_at = rig.agent.mark();
    hub.command(execute_line("lost-1", "append", {"lost-1", "0"}));
    const Event& delivered = hub.expect_event(in_session(result_for("lost-1"), first), kEventLimit,
                                              sent_at, "the result, first time");
    const Event& dropped =
        hub.expect_event([](const Event& e) { return e.is("poll") && !e.is_null("/dropped"); },
                         kEventLimit, delivered.index(), "the dropped answer");
    CHECK(dropped.str("/session") == first);

    // The agent never saw the answer: the exchange failed, the period ended,
    // and the next one (hello first) carries the result again.
    const std::string second = wait_polling(rig, dropped.index(), log_at);
    CHECK(second != first);
    const Event& again = hub.expect_event(in_session(result_for("lost-1"), second), kEventLimit,
                                          dropped.index(), "the result, again");
    CHECK(again.str("/msg/data/state") == "succeeded");
    hub.expect_event(
        [&](const Event& e) { return e.is_sent("result_ack") && e.str("/session") == second; },
        kEventLimit, again.index(), "result_ack in the new period");
    wait_polls(hub, second, 3, hub.mark());
    CHECK(count_results(hub, "lost-1") == 2);  // the duplicate the hub saw
    CHECK(append.count("lost-1") == 1);        // the command itself ran once
    CHECK(rig.agent.running());
}

TEST_CASE("back to the WebSocket when upgrades work again: nothing lost or doubled, polling stops",
          "[integration][polling]") {
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    configure_polling(rig.agent, rig.hub.poll_url());
    rig.agent.set("telemetry", "interval", "1s");
    Hub& hub = rig.hub;
    hub.command("refuse-upgrades 400");

    const std::size_t from = hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(hub);
    const std::string polled = wait_polling(rig, from, log_from);
    CHECK(hub.events(upgrade_with_status(400), from).size() >= 3);
    CHECK(rig.agent.count_log("3 upgrades answered 400", log_from) >= 1);

    run_command(rig, append, "before-switch", polled);
    // A result the hub holds without acknowledging: it must come again over
    // the WebSocket, once, after the switch.
    hub.command("auto-ack off");
    hub.command(execute_line("at-switch", "append", {"at-switch", "0"}));
    hub.expect_event(in_session(result_for("at-switch"), polled), kEventLimit, from,
                     "at-switch's result over polling");

    const std::size_t switch_from = hub.mark();
    const std::size_t switch_log = rig.agent.mark();
    hub.command("auto-ack on");
    hub.command("accept-upgrades");
    const std::string ws = wait_websocket_back(rig, switch_from, switch_log);
    const Event& again =
        hub.expect_event(in_session(result_for("at-switch"), ws), kEventLimit, switch_from,
                         "at-switch's result re-sent over the WebSocket");
    hub.expect_event(in_session(sent_of_type("result_ack"), ws), kEventLimit, again.index(),
                     "result_ack over the WebSocket");
    run_command(rig, append, "after-switch", ws);

    // Polling has stopped: no poll in a window of several poll intervals.
    const std::size_t quiet_from = hub.mark();
    hub.idle(4s);
    CHECK(hub.events(poll_event(), quiet_from).empty());

    // Every command ran once; the telemetry samples of both transports
    // arrived once each and without a gap.
    for (const char* id : {"before-switch", "at-switch", "after-switch"}) {
        INFO(id);
        CHECK(append.count(id) == 1);
    }
    std::vector<int64_t> seqs;
    for (const Event* e : hub.events(message_of_type("telemetry"))) {
        if (auto seq = e->num("/msg/data/seq")) seqs.push_back(*seq);
    }
    REQUIRE(seqs.size() >= 3);
    std::set<int64_t> unique(seqs.begin(), seqs.end());
    CHECK(unique.size() == seqs.size());
    CHECK(*unique.rbegin() - *unique.begin() + 1 == static_cast<int64_t>(unique.size()));
    CHECK(rig.agent.running());
}

TEST_CASE("polling through a real HTTP CONNECT proxy (tinyproxy)",
          "[integration][polling][proxy]") {
    const std::string tinyproxy = OUTPOST_TINYPROXY_BIN;
    if (tinyproxy.empty() || !std::filesystem::exists(tinyproxy)) {
        OUTPOST_SKIP("tinyproxy is not installed: skipped");
    }
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    const int proxy_port = free_loopback_port();
    const std::string log_file = rig.dir.file("tinyproxy.log");
    write_file(rig.dir.file("tinyproxy.conf"),
               "Port " + std::to_string(proxy_port) +
                   "\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\nConnectPort " +
                   std::to_string(rig.hub.port()) + "\nLogFile \"" + log_file +
                   "\"\nLogLevel Connect\nMaxClients 10\n");
    ChildProcess proxy(SpawnOptions({tinyproxy, "-d", "-c", rig.dir.file("tinyproxy.conf")}));
    struct ProxyLog {  // printed when the test fails
        std::string file;
        ~ProxyLog() {
            if (current_test_failed()) print_block("tinyproxy log", read_file(file));
        }
    } proxy_log{log_file};
    REQUIRE(wait_for_port(proxy_port, 10s));

    poll_from_the_start(rig);
    rig.agent.set("server", "proxy", "http://127.0.0.1:" + std::to_string(proxy_port));
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);
    const std::string session = wait_polling(rig, from, log_from);
    run_command(rig, append, "proxied-1", session);
    wait_polls(rig.hub, session, 2, rig.hub.mark());

    // The polls went through the proxy (CONNECT to the hub's port): the
    // agent has no other route configured, and tinyproxy logs the tunnel.
    const std::string log = read_file(log_file);
    INFO("tinyproxy log:\n" << log);
    CHECK(log.find("CONNECT") != std::string::npos);
    CHECK(log.find("localhost:" + std::to_string(rig.hub.port())) != std::string::npos);
}

TEST_CASE(
    "sealed polling: every message after hello sealed in the poll bodies, fresh counters "
    "per period",
    "[integration][polling][sealed]") {
    TempDir keys;
    SealKey key(keys);
    Rig rig(sealed_hub(key));
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    rig.agent.set("security", "server_seal_key", key.public_key);
    poll_from_the_start(rig);
    Hub& hub = rig.hub;
    const std::size_t from = hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(hub);
    const std::string first = wait_polling(rig, from, log_from);
    run_command(rig, append, "sealed-poll-1", first);

    // §8 over §7: the period's own keys, n from 0 in each direction.
    const auto check_sealed = [&](const std::string& session) {
        hub.pump();
        CHECK(hub.events(in_session(event_named("seal_started"), session)).size() == 1);
        CHECK(hub.events(in_session(event_named("seal_refused"), session)).empty());
        std::optional<std::int64_t> last_in;
        for (const Event* e : hub.events(in_session(event_named("message"), session))) {
            INFO(e->line());
            if (e->str("/type") == "hello") continue;
            const auto n = e->num("/sealed_n");
            REQUIRE(n);
            if (last_in) CHECK(*n > *last_in);
            last_in = n;
        }
        std::int64_t expected_out = 0;
        for (const Event* e : hub.events(in_session(event_named("sent"), session))) {
            INFO(e->line());
            CHECK(e->num("/sealed_n") == expected_out++);
        }
        CHECK(last_in.has_value());
        CHECK(expected_out > 1);
    };
    check_sealed(first);

    // A lost answer ends the period; the next one seals under new keys.
    const std::size_t lost_from = hub.mark();
    const std::size_t lost_log = rig.agent.mark();
    hub.command("drop-next-poll-reply");
    const std::string second = wait_polling(rig, lost_from, lost_log);
    run_command(rig, append, "sealed-poll-2", second);
    check_sealed(second);
}

TEST_CASE(
    "three 600 KiB commands queued while polling: answers within the limit and each runs once",
    "[integration][polling]") {
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    std::string entry = append.entry();
    entry.insert(entry.size() - 1, ", max_stdin_bytes: 1MiB");
    rig.agent.add_command(entry);
    rig.agent.set("executor", "max_queued_stdin_bytes", "8MiB");
    configure_polling(rig.agent, rig.hub.poll_url());
    rig.agent.set("server", "transport", "poll");
    // Polls far enough apart that the three commands queue for one answer.
    rig.agent.set("server", "poll_interval", "5s");
    Hub& hub = rig.hub;
    hub.command("refuse-upgrades 400");  // the background WebSocket must not end the period
    const std::size_t from = hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(hub);
    const std::string session = wait_polling(rig, from, log_from);
    wait_polls(hub, session, 1, hub.mark());

    const std::size_t queued_from = hub.mark();
    const std::string stdin_text(600 * 1024, 'x');
    const std::vector<std::string> ids{"big-1", "big-2", "big-3"};
    for (const std::string& id : ids) {
        std::string line = execute_line(id, "append", {id, "0"});
        line.insert(line.size() - 1, ",\"stdin\":\"" + stdin_text + "\"");
        hub.command(line);
    }
    for (const std::string& id : ids) {
        hub.expect_event(in_session(result_for(id), session), kEventLimit, queued_from,
                         "command_result of " + id);
    }
    hub.idle(2s);
    for (const std::string& id : ids) {
        INFO(id);
        CHECK(append.count(id) == 1);
        CHECK(count_results(hub, id) == 1);
    }
    // §7 (our reading): no answer over protocol.max_message_bytes, so the
    // three went in more than one poll, and the period never ended.
    std::size_t carrying = 0;
    for (const Event* e : hub.events(poll_event(), queued_from)) {
        INFO(e->line());
        CHECK(e->num("/bytes_out").value_or(0) <= 1024 * 1024);
        if (e->num("/bytes_out").value_or(0) > 600 * 1024) ++carrying;
    }
    CHECK(carrying == 3);
    CHECK(rig.agent.count_log("a server must split its queue", log_from) == 0);
    CHECK(hub.events(connected_over("poll"), from).size() == 1);
}
