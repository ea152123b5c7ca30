// `outpost status` against the real agent: what it shows while online, after
// the control plane went away, once the agent stopped, and after a kill -9
// left the socket file behind (protocol.md §6, docs/status.md).
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

struct StatusRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

StatusRun outpost_status(const Agent& agent, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{OUTPOST_AGENT_BIN, "status", "--config", agent.config_path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ChildProcess status{SpawnOptions(argv)};
    auto exited = status.wait_exit(Clock::now() + 20s);
    REQUIRE(exited);
    REQUIRE(WIFEXITED(*exited));
    StatusRun run{WEXITSTATUS(*exited), status.all_output(ChildProcess::Stream::out),
                  status.all_output(ChildProcess::Stream::err)};
    UNSCOPED_INFO("outpost status exited " << run.exit_code << "\nstdout:\n"
                                           << run.out << "stderr:\n"
                                           << run.err);
    return run;
}

// One field of `outpost status --json`.
std::string json_field(const std::string& json, const char* pointer) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
    simdjson::dom::element value;
    REQUIRE(root.at_pointer(pointer).get(value) == simdjson::SUCCESS);
    if (value.is_string()) return std::string(value.get_string().value());
    if (value.is_null()) return "null";
    return simdjson::to_string(value);
}

}  // namespace

TEST_CASE("outpost status: online, then the control plane gone, then the agent stopped",
          "[integration][status]") {
    Rig rig;
    rig.agent.add_command("{name: id, path: /usr/bin/id, run_as: nobody, sandbox: strict}");
    rig.agent.set("collectors", "load", "{enabled: false}");  // listed as disabled
    const Event& connected = rig.start_online();
    const std::string session = *connected.str("/session");

    // A command held for approval shows up in the counts.
    const std::size_t from = rig.hub.mark();
    rig.hub.command(
        R"(send-type execute {"request_id":"held-1","command":"id","args":[],"requires_approval":true})");
    const Event& ack = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("command_ack") && e.str("/msg/data/request_id") == "held-1";
        },
        kEventLimit, from, "command_ack");
    REQUIRE(ack.str("/msg/data/state") == "awaiting_approval");

    // Exit 0 unless this machine fails a health check (disk or memory
    // nearly full), which status must then report as exit 1.
    int healthy_exit = 0;
    {
        StatusRun run = outpost_status(rig.agent, {"--json"});
        for (const char* check : {"agent", "disk", "memory", "database", "containers"}) {
            if (json_field(run.out, (std::string("/checks/results/") + check).c_str()) == "fail") {
                WARN("health check " << check << " fails on this machine");
                healthy_exit = 1;
            }
        }
    }
    {
        StatusRun run = outpost_status(rig.agent);
        CHECK(run.exit_code == healthy_exit);
        CHECK_THAT(run.out, Catch::StartsWith("outpost "));
        CHECK_THAT(run.out, Catch::Contains("node " + rig.agent.node_id()));
        CHECK_THAT(run.out, Catch::Contains("connection: online for "));
        CHECK_THAT(run.out, Catch::Contains("session: " + session));
        CHECK_THAT(run.out, Catch::Contains("1 awaiting approval"));
        CHECK_THAT(run.out,
                   Catch::Contains("journal: ok, " + rig.agent.state_dir() + "/journal.db"));
        CHECK_THAT(run.out, Catch::Contains("checks: agent ok"));
        CHECK_THAT(run.out, Catch::Contains("collector load: disabled"));
        CHECK_THAT(run.out, Catch::Contains("collector cpu: "));
    }
    {
        StatusRun run = outpost_status(rig.agent, {"--json"});
        CHECK(run.exit_code == healthy_exit);
        CHECK(json_field(run.out, "/format") == "outpost.status.v1");
        CHECK(json_field(run.out, "/agent/node_id") == rig.agent.node_id());
        CHECK(json_field(run.out, "/connection/state") == "online");
        CHECK(json_field(run.out, "/connection/session_id") == session);
        CHECK(json_field(run.out, "/commands/awaiting_approval") == "1");
        CHECK(json_field(run.out, "/commands/allow_list_entries") == "1");
        CHECK(json_field(run.out, "/checks/results/database") == "ok");
        CHECK(json_field(run.out, "/journal/outbox_messages") == "0");
    }

    // The control plane goes away: the agent reconnects with backoff, and
    // status says so, with the last error, and exits 1.
    const std::size_t log_from = rig.agent.mark();
    rig.hub.stop();
    // Once a reconnect attempt has been made (and failed: nothing listens).
    REQUIRE(rig.agent.wait_log("(attempt 2)", kEventLimit, log_from));
    {
        StatusRun run = outpost_status(rig.agent, {"--json"});
        CHECK(run.exit_code == 1);
        const std::string state = json_field(run.out, "/connection/state");
        CHECK((state == "backoff" || state == "connecting"));
        CHECK(json_field(run.out, "/connection/last_error") != "null");
        CHECK(json_field(run.out, "/connection/reconnects") != "0");
    }

    // Stopped: the socket is removed, status says the agent is not running.
    rig.agent.stop();
    const std::string socket = rig.dir.file(rig.agent.node_id() + "-status.sock");
    CHECK_FALSE(std::filesystem::exists(socket));
    StatusRun run = outpost_status(rig.agent);
    CHECK(run.exit_code == 3);
    CHECK_THAT(run.err, Catch::Contains("agent is not running"));
}

TEST_CASE("outpost status: a kill -9 leaves a stale socket, the next start replaces it",
          "[integration][status]") {
    Rig rig;
    rig.start_online();
    const std::string socket = rig.dir.file(rig.agent.node_id() + "-status.sock");
    REQUIRE(std::filesystem::is_socket(socket));
    CHECK((std::filesystem::status(socket).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
           std::filesystem::perms::group_read | std::filesystem::perms::group_write));

    rig.agent.kill();
    REQUIRE(std::filesystem::is_socket(socket));  // nothing removed it
    StatusRun stale = outpost_status(rig.agent);
    CHECK(stale.exit_code == 3);
    CHECK_THAT(stale.err, Catch::Contains("stale socket"));

    const std::size_t log_from = rig.agent.mark();
    rig.start_online();
    CHECK(rig.agent.wait_log("removed the stale status socket", 0ms, log_from));
    StatusRun run = outpost_status(rig.agent);
    CHECK((run.exit_code == 0 || run.exit_code == 1));  // answered (1: a failing check here)
    CHECK_THAT(run.out, Catch::Contains("connection: online"));
}

TEST_CASE("outpost status: a path that is not a socket is left alone, the agent still runs",
          "[integration][status]") {
    Rig rig;
    const std::string socket = rig.dir.file(rig.agent.node_id() + "-status.sock");
    write_file(socket, "not a socket");
    rig.start_online();
    CHECK(rig.agent.wait_log("is not a socket; not replacing it", 0ms));
    CHECK(std::filesystem::is_regular_file(socket));
    StatusRun run = outpost_status(rig.agent);
    CHECK(run.exit_code == 4);
}

TEST_CASE("outpost status: a corrupt journal is shown as failing, with the reason, exit 1",
          "[integration][status][journal]") {
    Rig rig;  // `outpost identity` has created the state dir
    const std::string journal = rig.agent.state_dir() + "/journal.db";
    write_file(journal, std::string(4096, '\x5a'));
    std::filesystem::permissions(journal, std::filesystem::perms(0600));
    rig.start_online();

    StatusRun run = outpost_status(rig.agent, {"--json"});
    CHECK(run.exit_code == 1);
    CHECK(json_field(run.out, "/connection/state") == "online");
    CHECK(json_field(run.out, "/journal/state") == "fail");
    CHECK_THAT(json_field(run.out, "/journal/detail"), Catch::Contains("journal.db"));
    CHECK(json_field(run.out, "/journal/outbox_messages") == "null");
    CHECK(json_field(run.out, "/checks/results/database") == "fail");
    StatusRun text = outpost_status(rig.agent);
    CHECK(text.exit_code == 1);
    CHECK_THAT(text.out, Catch::Contains("journal: fail, " + journal));
    CHECK_THAT(text.out, Catch::Contains("warning: no command can run: "));
}

TEST_CASE("ws:// with insecure_plaintext: warned at start, in status{online} and outpost status",
          "[integration][status]") {
    HubOptions plaintext;
    plaintext.extra = {"--plaintext"};
    Rig rig(plaintext);
    rig.agent.set("server", "insecure_plaintext", "true");
    const std::size_t log_from = rig.agent.mark();
    const Event& connected = rig.start_online();
    CHECK(rig.agent.count_log("is not encrypted", log_from) >= 1);
    const Event& status = rig.hub.expect_event(message_of_type("status"), kEventLimit,
                                               connected.index(), "status online");
    CHECK(status.str("/msg/data/status") == "online");
    CHECK(status.str("/msg/data/reason").value_or("").find("not encrypted") != std::string::npos);
    StatusRun run = outpost_status(rig.agent);
    CHECK_THAT(run.out, Catch::Contains("is not encrypted"));
}

TEST_CASE("sealing: an unsealed welcome is closed with 1008 at once, backed off, counted and shown",
          "[integration][status][seal]") {
    // The agent holds S of docs/sealing.md's test vectors; this hub speaks
    // no §8 and answers hello with a plain welcome, as a control plane
    // without the key (or an intermediary answering for it) would.
    Rig rig;
    rig.agent.set("security", "server_seal_key", "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ");
    rig.agent.set("reconnect", "initial", "30s");  // stays in backoff while status is read
    rig.agent.set("reconnect", "max", "60s");
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);

    const Event& hello =
        rig.hub.expect_event(message_of_type("hello"), kFirstOnline, from, "hello");
    CHECK(hello.num("/msg/data/seal/v") == 1);
    CHECK(hello.str("/msg/data/seal/epk").value_or("").size() == 43);  // 32 bytes, base64url
    const auto capabilities = hello.strings("/msg/data/capabilities");
    REQUIRE(capabilities);
    CHECK(std::find(capabilities->begin(), capabilities->end(), "sealed") != capabilities->end());
    // It sends `alert` messages and takes config_update.alerts (§3.1).
    CHECK(std::find(capabilities->begin(), capabilities->end(), "alerts") != capabilities->end());

    const Event& closed =
        rig.hub.expect_event(event_named("closed"), kEventLimit, hello.index(), "closed");
    CHECK(closed.num("/code") == 1008);
    // Nothing but hello from the agent: no `error` before the close.
    CHECK(rig.hub.events([](const Event& e) { return e.is("message"); }, from, closed.index())
              .size() == 1);
    REQUIRE(rig.agent.wait_log("unsealed `welcome` from the server; closing with 1008", kEventLimit,
                               log_from));
    CHECK(rig.agent.count_log("next attempt in", log_from) >= 1);

    StatusRun run = outpost_status(rig.agent);
    INFO(run.out);
    CHECK_THAT(run.out, Catch::Contains("connection: backoff"));
    CHECK_THAT(run.out, Catch::Contains("seal: unsealed `welcome` from the server"));
    CHECK_THAT(run.out, Catch::Contains("sealed messages refused (closed with 1008): unsealed 1"));
}
