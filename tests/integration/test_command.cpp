// Commands against a live hub (protocol.md §3.3, §4): execute with ack and
// result, policy refusals, redelivery answered from the journal, results
// re-sent until result_ack, cancel, health_check, a corrupt journal.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include <ctime>

#include "command_events.hpp"
#include "rig.hpp"

using namespace outpost::integration;

namespace {

// The request_id pattern of protocol.md §3.3, as an allow-list regex.
constexpr const char* kIdRule = "{regex: '^[A-Za-z0-9._:-]{1,128}$'}";

// Waits until `n` events since `from` match `pred`; returns them in order.
std::vector<const Event*> expect_count(Hub& hub, const EventPredicate& pred, std::size_t n,
                                       std::size_t from, const std::string& what) {
    const auto deadline = Clock::now() + kEventLimit;
    auto found = hub.events(pred, from);
    while (found.size() < n && Clock::now() < deadline) {
        hub.pump(50ms);
        found = hub.events(pred, from);
    }
    INFO("waited for " << n << " x " << what << ", got " << found.size());
    REQUIRE(found.size() >= n);
    return found;
}

// Commands run as `nobody` (and the append helper as root): the agent must
// be root. Reported and skipped otherwise, like a missing tinyproxy.
bool can_run_commands() {
    if (::geteuid() == 0) return true;
    WARN("not running as root: command tests skipped (run_as needs a root agent)");
    return false;
}

// The append helper (outpost-test-append) copied where the allow-list
// trusts it, and an entry `append` writing to `side_file`:
// args [request id, delay ms].
struct AppendEntry {
    explicit AppendEntry(const TempDir& dir)
        : program(OUTPOST_APPEND_HELPER_BIN), side_file(dir.file("side-effects")) {}

    // False (with a warning) when the build tree is not a trusted location.
    bool usable() const {
        if (program.trusted()) return true;
        WARN("append helper not usable as an allow-listed program: " << program.why());
        return false;
    }

    std::string entry(const std::string& name = "append") const {
        return "{name: " + name + ", path: " + program.path() + ", args: [" + side_file +
               "], arg_rules: [" + kIdRule +
               ", {int_range: [0, 10000]}], run_as: root, allow_root: true, sandbox: none}";
    }

    // Lines of the side-effect file equal to `word`.
    std::size_t count(const std::string& word) const {
        std::istringstream in(read_file(side_file));
        std::size_t n = 0;
        for (std::string line; std::getline(in, line);) n += line == word ? 1 : 0;
        return n;
    }

    TrustedProgram program;
    std::string side_file;
};

}  // namespace

TEST_CASE("execute: accepted, then succeeded as run_as nobody, acknowledged",
          "[integration][command]") {
    if (!can_run_commands()) return;
    Rig rig;
    rig.agent.add_command(kIdEntry);
    const Event& online = rig.start_online();
    const std::string session = *online.str("/session");

    const std::size_t from = rig.hub.mark();
    const Event& sent = rig.hub.event(rig.hub.command(execute_line("cmd-id-1", "id", {})));
    const Event& ack = rig.hub.expect_event(ack_for("cmd-id-1"), kEventLimit, from, "command_ack");
    CHECK(ack.str("/msg/data/state") == "accepted");
    CHECK(ack.is_null("/msg/data/reason"));
    // The protocol asks for 100 ms; a loaded sanitizer build gets slack,
    // a command that waited for its process to finish would not pass.
    INFO("ack " << seconds(ack.at() - sent.at()) << " s after the execute");
    CHECK(seconds(ack.at() - sent.at()) < 5.0);

    const Event& result =
        rig.hub.expect_event(result_for("cmd-id-1"), kEventLimit, from, "command_result");
    CHECK(result.index() > ack.index());
    CHECK(result.str("/session") == session);
    CHECK(result.str("/msg/data/state") == "succeeded");
    CHECK(result.num("/msg/data/exit_code") == 0);
    CHECK(result.is_null("/msg/data/signal"));
    CHECK(result.is_null("/msg/data/reason"));
    CHECK(result.boolean("/msg/data/stdout_truncated") == false);
    const std::string out = result.str("/msg/data/stdout").value_or("");
    INFO("stdout: " << out);
    CHECK(out.find("uid=65534") != std::string::npos);
    CHECK(result.has("/msg/data/started_at"));
    CHECK(result.num("/msg/data/duration_ms").value_or(-1) >= 0);

    // The hub acknowledges; exactly one result went out.
    rig.hub.expect_event(in_session(sent_of_type("result_ack"), session), kEventLimit,
                         result.index(), "result_ack");
    rig.hub.idle(500ms);
    CHECK(rig.hub.events(result_for("cmd-id-1"), from).size() == 1);
    CHECK(rig.agent.count_log("cmd-id-1: running id") == 1);
}

TEST_CASE("execute refused by policy: rejected with the rule, nothing runs",
          "[integration][command]") {
    if (!can_run_commands()) return;
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    rig.start_online();

    struct Case {
        std::string id;
        std::string command;
        std::vector<std::string> args;
        std::vector<std::string> reason_has;
        std::string extra = {};  // more members of `data`
    };
    const std::string pwned = rig.dir.file("pwned");
    const std::vector<Case> cases = {
        {"refuse-name", "rm", {"-rf", "/"}, {"not in the allow-list", "(executor.commands)"}},
        {"refuse-semicolon",
         "append",
         {"a;b", "0"},
         {"does not match regex", "(executor.commands[0].arg_rules[0])"}},
        {"refuse-subst",
         "append",
         {"$(touch " + pwned + ")", "0"},
         {"does not match regex", "(executor.commands[0].arg_rules[0])"}},
        {"refuse-dash",
         "append",
         {"-rf", "0"},
         {"starts with `-`", "allow_dash", "(executor.commands[0].arg_rules[0])"}},
        {"refuse-count", "append", {"only-one"}, {"1 given", "executor.commands[0]"}},
        {"refuse-range",
         "append",
         {"ok-word", "10001"},
         {"outside int_range", "(executor.commands[0].arg_rules[1])"}},
        // Out of the entry's timeout range: policy's refusal, not a schema error.
        {"refuse-timeout-zero",
         "append",
         {"ok-word", "0"},
         {"timeout_ms: 0 is not within", "max_timeout"},
         R"(,"timeout_ms":0)"},
        {"refuse-timeout-2d",
         "append",
         {"ok-word", "0"},
         {"timeout_ms: 172800000 is not within", "max_timeout"},
         R"(,"timeout_ms":172800000)"},
    };

    for (const Case& c : cases) {
        INFO("request " << c.id << ": " << c.command);
        const std::size_t from = rig.hub.mark();
        std::string line = execute_line(c.id, c.command, c.args);
        line.insert(line.size() - 1, c.extra);
        rig.hub.command(line);
        const Event& ack = rig.hub.expect_event(ack_for(c.id), kEventLimit, from, "command_ack");
        const Event& result =
            rig.hub.expect_event(result_for(c.id), kEventLimit, from, "command_result");
        CHECK(ack.str("/msg/data/state") == "rejected");
        const std::string reason = ack.str("/msg/data/reason").value_or("");
        INFO("reason: " << reason);
        for (const std::string& part : c.reason_has) CHECK(reason.find(part) != std::string::npos);
        CHECK(result.index() > ack.index());
        CHECK(result.str("/msg/data/state") == "rejected");
        CHECK(result.str("/msg/data/reason") == reason);
        CHECK(result.is_null("/msg/data/exit_code"));
        CHECK(result.is_null("/msg/data/started_at"));
    }

    // Nothing ran: no side effect, no process started.
    CHECK_FALSE(std::filesystem::exists(append.side_file));
    CHECK(rig.agent.count_log(": running ") == 0);
    CHECK_FALSE(std::filesystem::exists(pwned));

    // The entry itself works: a well-formed request runs once.
    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line("allowed-1", "append", {"allowed-1", "0"}));
    const Event& result =
        rig.hub.expect_event(result_for("allowed-1"), kEventLimit, from, "command_result");
    CHECK(result.str("/msg/data/state") == "succeeded");
    CHECK(append.count("allowed-1") == 1);
}

TEST_CASE("redelivery of one request_id: one execution, acks running then duplicate",
          "[integration][command]") {
    if (!can_run_commands()) return;
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    rig.start_online();
    const std::string id = "redeliver-1";
    // 4 s of run time: the two copies sent meanwhile find it running.
    const std::string line = execute_line(id, "append", {id, "4000"});

    const std::size_t from = rig.hub.mark();
    rig.hub.command(line);
    rig.hub.expect_event(ack_for(id), kEventLimit, from, "the first ack");
    rig.hub.command(line);
    rig.hub.command(line);
    auto acks = expect_count(rig.hub, ack_for(id), 3, from, "acks while running");
    const Event& result = rig.hub.expect_event(result_for(id), kEventLimit, from, "the result");
    CHECK(result.str("/msg/data/state") == "succeeded");

    // Two more after the result: answered from the journal.
    const std::size_t after = rig.hub.mark();
    rig.hub.command(line);
    rig.hub.command(line);
    acks = expect_count(rig.hub, ack_for(id), 5, from, "all acks");
    auto results = expect_count(rig.hub, result_for(id), 3, from, "results");
    rig.hub.idle(500ms);
    acks = rig.hub.events(ack_for(id), from);
    results = rig.hub.events(result_for(id), from);

    REQUIRE(acks.size() == 5);
    CHECK(acks[0]->str("/msg/data/state") == "accepted");
    CHECK(acks[1]->str("/msg/data/state") == "running");
    CHECK(acks[2]->str("/msg/data/state") == "running");
    CHECK(acks[3]->str("/msg/data/state") == "duplicate");
    CHECK(acks[4]->str("/msg/data/state") == "duplicate");
    CHECK(acks[3]->index() > after);
    // One result per finished run or duplicate, all the stored one.
    REQUIRE(results.size() == 3);
    for (const Event* r : results) {
        CHECK(r->str("/msg/data/state") == "succeeded");
        CHECK(r->str("/msg/data/started_at") == result.str("/msg/data/started_at"));
        CHECK(r->str("/msg/data/finished_at") == result.str("/msg/data/finished_at"));
        CHECK(r->str("/msg/data/stdout") == "appended " + id + "\n");
    }
    CHECK(append.count(id) == 1);
    CHECK(rig.agent.count_log(id + ": running append") == 1);
}

TEST_CASE("results are re-sent after each reconnect until result_ack",
          "[integration][command][reconnect]") {
    if (!can_run_commands()) return;
    Rig rig;
    rig.agent.add_command(kIdEntry);
    const Event& online = rig.start_online();
    const std::size_t begin = online.index();
    const std::string id = "resend-1";

    rig.hub.command("auto-ack off");
    std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line(id, "id", {}));
    const Event& first = rig.hub.expect_event(result_for(id), kEventLimit, from, "the result");
    REQUIRE(first.str("/msg/data/state") == "succeeded");

    // Reconnects: the same stored result again after each welcome, and the
    // hello's backlog counts it.
    auto reconnect = [&](const std::string& what) -> std::string {
        INFO(what);
        const std::size_t drop_from = rig.hub.mark();
        const std::size_t log_from = rig.agent.mark();
        rig.hub.command("drop");
        const Event& connected = rig.wait_online(drop_from, log_from);
        return *connected.str("/session");
    };
    auto expect_resent = [&](const std::string& session) -> const Event& {
        const Event& welcome = rig.hub.expect_event(in_session(sent_of_type("welcome"), session),
                                                    kEventLimit, 0, "welcome");
        const Event& hello = rig.hub.expect_event(in_session(message_of_type("hello"), session),
                                                  kEventLimit, 0, "hello");
        CHECK(hello.num("/msg/data/backlog/results") == 1);
        const Event& again = rig.hub.expect_event(in_session(result_for(id), session), kEventLimit,
                                                  welcome.index(), "re-sent result");
        CHECK(again.str("/msg/data/state") == "succeeded");
        CHECK(again.str("/msg/data/finished_at") == first.str("/msg/data/finished_at"));
        CHECK(again.str("/msg/data/stdout") == first.str("/msg/data/stdout"));
        return again;
    };

    const std::string s2 = reconnect("first drop, auto-ack off");
    expect_resent(s2);
    const std::string s3 = reconnect("second drop, auto-ack off");
    expect_resent(s3);
    CHECK(rig.hub.events(sent_of_type("result_ack"), begin).empty());

    rig.hub.command("auto-ack on");
    const std::string s4 = reconnect("third drop, auto-ack on");
    const Event& acked = expect_resent(s4);
    rig.hub.expect_event(in_session(sent_of_type("result_ack"), s4), kEventLimit, acked.index(),
                         "result_ack");
    // The agent handles messages in order: once it answers this health
    // check, the result_ack before it is journaled.
    from = rig.hub.mark();
    rig.hub.command(R"(send-type health_check {"request_id":"after-ack"})");
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("health") && e.str("/msg/data/ref") == "after-ack";
        },
        kEventLimit, from, "health");

    const std::string s5 = reconnect("fourth drop, after the result_ack");
    const Event& hello =
        rig.hub.expect_event(in_session(message_of_type("hello"), s5), kEventLimit, 0, "hello");
    CHECK(hello.num("/msg/data/backlog/results") == 0);
    rig.hub.idle(3s);
    CHECK(rig.hub.events(in_session(result_for(id), s5)).empty());
    // Sent once, then once per session until acknowledged: s1 (run), s2, s3, s4.
    CHECK(rig.hub.events(result_for(id), begin).size() == 4);
    CHECK(rig.agent.count_log(id + ": running id") == 1);
}

TEST_CASE("after a restart: stored results first, then status online (§3.1 step 3)",
          "[integration][command][reconnect]") {
    if (!can_run_commands()) return;
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.start_online();
    rig.hub.command("auto-ack off");
    std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line("order-1", "id", {}));
    rig.hub.expect_event(result_for("order-1"), kEventLimit, from, "the result");

    rig.agent.stop();
    const Event& connected = rig.start_online();
    const std::string session = *connected.str("/session");
    const Event& resent = rig.hub.expect_event(in_session(result_for("order-1"), session),
                                               kEventLimit, connected.index(), "re-sent result");
    const Event& status = rig.hub.expect_event(in_session(message_of_type("status"), session),
                                               kEventLimit, connected.index(), "status online");
    CHECK(status.str("/msg/data/status") == "online");
    CHECK(resent.index() < status.index());
}

TEST_CASE("a held command expires at its deadline, not at the next maintenance tick",
          "[integration][command]") {
    if (!can_run_commands()) return;
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.start_online();
    // Maintenance runs at start and then every 30 s; the deadline is 2-3 s
    // out (whole seconds).
    const auto deadline =
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + 3s);
    const std::time_t deadline_t = std::chrono::system_clock::to_time_t(deadline);
    std::tm utc{};
    ::gmtime_r(&deadline_t, &utc);
    char deadline_text[32];
    std::strftime(deadline_text, sizeof(deadline_text), "%Y-%m-%dT%H:%M:%SZ", &utc);
    const std::size_t from = rig.hub.mark();
    rig.hub.command(R"(send-type execute {"request_id":"expire-1","command":"id","args":[],)"
                    R"("requires_approval":true,"not_after":")" +
                    std::string(deadline_text) + "\"}");
    const Event& ack = rig.hub.expect_event(ack_for("expire-1"), kEventLimit, from, "command_ack");
    CHECK(ack.str("/msg/data/state") == "awaiting_approval");
    const Event& result =
        rig.hub.expect_event(result_for("expire-1"), kEventLimit, from, "the expiry");
    CHECK(result.str("/msg/data/state") == "rejected");
    CHECK(std::chrono::system_clock::now() >= deadline);
    CHECK(std::chrono::system_clock::now() < deadline + 12s);  // far from 30 s
    CHECK(rig.agent.count_log("expire-1: running") == 0);
}

TEST_CASE("a result ready before welcome waits for it (§3.1: nothing but hello until welcome)",
          "[integration][command][reconnect]") {
    if (!can_run_commands()) return;
    Rig rig;
    rig.agent.add_command(kSleepEntry);
    rig.start_online();
    std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line("early-1", "sleep", {"2"}));
    const Event& ack = rig.hub.expect_event(ack_for("early-1"), kEventLimit, from, "command_ack");
    REQUIRE(ack.str("/msg/data/state") == "accepted");

    // The hub answers nothing (no welcome) and hangs up; the agent reconnects
    // and says hello, and the command finishes while it waits for welcome.
    rig.hub.command("silent on");
    from = rig.hub.mark();
    rig.hub.command("drop");
    const Event& connected =
        rig.hub.expect_event(connected_event(), kEventLimit, from, "connected");
    const std::string session = *connected.str("/session");
    rig.hub.expect_event(in_session(message_of_type("hello"), session), kEventLimit,
                         connected.index(), "hello");
    REQUIRE(rig.agent.wait_log("early-1: succeeded", kEventLimit));
    rig.hub.idle(500ms);
    for (const Event* e : rig.hub.events([&](const Event& ev) {
             return ev.str("/session") == session && ev.name() == "message";
         })) {
        INFO("sent before welcome: " << e->str("/type").value_or("?"));
        CHECK(e->is_message("hello"));
    }

    // Welcome by hand: now the result goes out, first.
    rig.hub.command("silent off");
    const std::size_t welcomed =
        rig.hub.command(R"(send-type welcome {"protocol":"outpost.v1","session_id":")" + session +
                        R"(","server_time":"2026-11-22T10:00:00.000Z","heartbeat_s":30})");
    const Event& result = rig.hub.expect_event(in_session(result_for("early-1"), session),
                                               kEventLimit, welcomed, "the result after welcome");
    CHECK(result.str("/msg/data/state") == "succeeded");
}

TEST_CASE("cancel: a long sleep ends as cancelled and its process is gone",
          "[integration][command]") {
    if (!can_run_commands()) return;
    Rig rig;
    rig.agent.add_command(kSleepEntry);
    rig.start_online();
    const std::string id = "cancel-1";
    // A duration no other test uses: the process is found by its argv.
    const std::string seconds_arg = "487";
    const std::string needle = std::string("sleep") + '\0' + seconds_arg + '\0';

    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line(id, "sleep", {seconds_arg}));
    const Event& ack = rig.hub.expect_event(ack_for(id), kEventLimit, from, "command_ack");
    REQUIRE(ack.str("/msg/data/state") == "accepted");
    const auto deadline = Clock::now() + kEventLimit;
    while (processes_with_arg(needle).empty() && Clock::now() < deadline) rig.hub.pump(50ms);
    REQUIRE_FALSE(processes_with_arg(needle).empty());
    rig.hub.idle(300ms);
    CHECK(rig.hub.events(result_for(id), from).empty());

    const Event& cancel =
        rig.hub.event(rig.hub.command(R"(send-type cancel {"request_id":")" + id + R"("})"));
    const Event& result =
        rig.hub.expect_event(result_for(id), kEventLimit, cancel.index(), "command_result");
    INFO("cancelled " << seconds(result.at() - cancel.at()) << " s after the cancel");
    CHECK(result.str("/msg/data/state") == "cancelled");
    CHECK(result.is_null("/msg/data/exit_code"));
    // The result is sent once the process tree is gone; allow /proc a moment.
    const auto gone_by = Clock::now() + 2s;
    while (!processes_with_arg(needle).empty() && Clock::now() < gone_by) rig.hub.pump(50ms);
    CHECK(processes_with_arg(needle).empty());
    CHECK(rig.hub.events(message_of_type("error"), from).empty());

    // A second cancel: the command is finished, so unknown_request.
    const std::size_t again = rig.hub.mark();
    rig.hub.command(R"(send-type cancel {"request_id":")" + id + R"("})");
    const Event& error =
        rig.hub.expect_event(message_of_type("error"), kEventLimit, again, "error");
    CHECK(error.str("/msg/data/code") == "unknown_request");
}

TEST_CASE("health_check: health with the ref and database ok", "[integration][command]") {
    Rig rig;
    rig.start_online();
    const std::size_t from = rig.hub.mark();
    rig.hub.command(R"(send-type health_check {"request_id":"health-1"})");
    const Event& health = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("health") && e.str("/msg/data/ref") == "health-1";
        },
        kEventLimit, from, "health");
    CHECK(health.str("/msg/data/checks/database") == "ok");
    CHECK(health.str("/msg/data/checks/agent") == "ok");
    for (const char* check : {"agent", "disk", "memory", "database", "containers"}) {
        INFO("check " << check);
        const auto value = health.str(std::string("/msg/data/checks/") + check);
        REQUIRE(value);
        CHECK((*value == "ok" || *value == "warn" || *value == "fail" || *value == "skipped"));
    }
}

TEST_CASE("corrupt journal: online, commands rejected naming the journal, database fail",
          "[integration][command][journal]") {
    Rig rig;  // `outpost identity` has created the state dir
    rig.agent.add_command(kIdEntry);
    const std::string journal = rig.agent.state_dir() + "/journal.db";
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131 + 7) % 251);
    write_file(journal, garbage);
    std::filesystem::permissions(journal, std::filesystem::perms(0600));

    const std::size_t first = rig.hub.mark();
    rig.start_online();
    CHECK(rig.agent.wait_log("journal unavailable", 0ms));
    // Connected but unable to run anything: the node says so (§3.2 status).
    const Event& status =
        rig.hub.expect_event(message_of_type("status"), kEventLimit, first, "status after welcome");
    CHECK(status.str("/msg/data/status") == "degraded");
    CHECK(status.str("/msg/data/reason").value_or("").find("journal") != std::string::npos);

    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line("no-journal-1", "id", {}));
    const Event& ack =
        rig.hub.expect_event(ack_for("no-journal-1"), kEventLimit, from, "command_ack");
    CHECK(ack.str("/msg/data/state") == "rejected");
    const std::string reason = ack.str("/msg/data/reason").value_or("");
    INFO("reason: " << reason);
    CHECK(reason.find("journal") != std::string::npos);
    const Event& result =
        rig.hub.expect_event(result_for("no-journal-1"), kEventLimit, from, "command_result");
    CHECK(result.str("/msg/data/state") == "rejected");
    CHECK(result.str("/msg/data/reason").value_or("").find("journal") != std::string::npos);
    CHECK(rig.agent.count_log(": running ") == 0);

    rig.hub.command(R"(send-type health_check {"request_id":"health-corrupt"})");
    const Event& health = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("health") && e.str("/msg/data/ref") == "health-corrupt";
        },
        kEventLimit, from, "health");
    CHECK(health.str("/msg/data/checks/database") == "fail");
    CHECK(health.str("/msg/data/details/database").value_or("").find("journal") !=
          std::string::npos);

    // Still online, and the file was left as it was.
    CHECK(rig.agent.running());
    CHECK(read_file(journal) == garbage);
}

TEST_CASE("health every health.interval, with ref null, a config_update re-arms it",
          "[integration][command][health]") {
    Rig rig;
    rig.agent.set("health", "interval", "10s");  // the schema's minimum
    rig.start_online();
    const std::size_t from = rig.hub.mark();
    const Event& first = rig.hub.expect_event(
        [](const Event& e) { return e.is_message("health") && e.is_null("/msg/data/ref"); },
        std::chrono::seconds(20), from, "periodic health");
    CHECK(first.str("/msg/data/checks/database") == "ok");

    // A longer interval takes effect at once: no report for the next 12 s.
    const std::size_t changed = rig.hub.mark();
    rig.hub.command(
        R"(send-type config_update {"request_id":"cu-h","config":{"health":{"interval":"1h"}}})");
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("command_ack") && e.str("/msg/data/request_id") == "cu-h" &&
                   e.str("/msg/data/state") == "accepted";
        },
        kEventLimit, changed, "config_update ack");
    rig.hub.idle(std::chrono::seconds(12));
    CHECK(
        rig.hub
            .events(
                [](const Event& e) { return e.is_message("health") && e.is_null("/msg/data/ref"); },
                changed)
            .empty());
}
