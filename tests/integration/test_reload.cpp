// SIGHUP reloads the config (agent/runtime/config_reload.hpp,
// docs/configuration.md "Reloading") in the real agent: a new allow-list
// entry runs and the telemetry interval changes without a reconnect, a
// restart-only key is reported, an invalid file leaves the old config in
// force and says why, and a running command outlives the removal of its
// entry. Also the start-up banner, which names what a reload reads.
#include <unistd.h>

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>

#include "command_events.hpp"
#include "rig.hpp"

using namespace outpost::integration;

namespace {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

CliRun outpost_status_json(const Agent& agent) {
    ChildProcess status{
        SpawnOptions({OUTPOST_AGENT_BIN, "status", "--json", "--config", agent.config_path()})};
    auto exited = status.wait_exit(Clock::now() + 20s);
    REQUIRE(exited);
    REQUIRE(WIFEXITED(*exited));
    CliRun run{WEXITSTATUS(*exited), status.all_output(ChildProcess::Stream::out),
               status.all_output(ChildProcess::Stream::err)};
    UNSCOPED_INFO("outpost status --json: " << run.out << run.err);
    return run;
}

// One member of a JSON document, as text ("null" for null).
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

bool running_as_root() {
    if (::geteuid() == 0) return true;
    WARN("not running as root: reload tests skipped (run_as needs a root agent)");
    return false;
}

// Sends SIGHUP and waits for the reload's verdict line.
void reload(Rig& rig, const std::string& verdict) {
    const std::size_t log_from = rig.agent.mark();
    rig.agent.signal(SIGHUP);
    REQUIRE(rig.agent.wait_log(verdict, kEventLimit, log_from));
}

const Event& run_to_result(Rig& rig, const std::string& request_id, const std::string& command,
                           const std::vector<std::string>& args) {
    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line(request_id, command, args));
    return rig.hub.expect_event(result_for(request_id), kEventLimit, from, "command_result");
}

}  // namespace

TEST_CASE("SIGHUP: a new allow-list entry and a new telemetry interval apply without a reconnect",
          "[integration][reload]") {
    if (!running_as_root()) return;
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.agent.set("telemetry", "interval", "1h");
    const Event& online = rig.start_online();
    const std::string session = *online.str("/session");

    // The banner: what runs, against what, from which file; no secret.
    const std::string banner = rig.agent.lines()[*rig.agent.wait_log("(build ", 0ms)];
    CHECK_THAT(banner, Catch::Contains("starting: node node-1, protocol outpost.v1, auth jwt, "
                                       "server wss://localhost:"));
    CHECK_THAT(banner, Catch::Contains("config " + rig.agent.config_path()));
    CHECK_THAT(banner, Catch::Contains("sandbox: "));

    // `id2` is not on the allow-list yet.
    const Event& refused = run_to_result(rig, "before-reload", "id2", {});
    CHECK(refused.str("/msg/data/state") == "rejected");

    rig.agent.add_command("{name: id2, path: /usr/bin/id, run_as: nobody, sandbox: strict}");
    rig.agent.set("telemetry", "interval", "1s");
    rig.agent.set("reconnect", "max", "3s");  // restart-only: reported, not applied
    rig.agent.rewrite_config();
    const std::size_t hub_from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    reload(rig, "config reloaded from " + rig.agent.config_path());
    CHECK(rig.agent.wait_log("changed telemetry, executor.commands", 0ms, log_from));
    CHECK(rig.agent.wait_log("reconnect changed in the file but apply only at a restart",
                             kEventLimit, log_from));

    const Event& ran = run_to_result(rig, "after-reload", "id2", {});
    CHECK(ran.str("/msg/data/state") == "succeeded");
    CHECK(ran.str("/session") == session);  // the same connection

    // Telemetry every second now (it was every hour): several samples soon.
    const auto deadline = Clock::now() + kEventLimit;
    while (rig.hub.events(message_of_type("telemetry"), hub_from).size() < 3 &&
           Clock::now() < deadline) {
        rig.hub.pump(100ms);
    }
    CHECK(rig.hub.events(message_of_type("telemetry"), hub_from).size() >= 3);
    CHECK(rig.hub.events(connected_event(), hub_from).empty());  // never reconnected

    CliRun status = outpost_status_json(rig.agent);
    CHECK(json_field(status.out, "/config/path") == rig.agent.config_path());
    CHECK(json_field(status.out, "/config/last_reload/result") == "ok");
    CHECK(json_field(status.out, "/config/restart_needed") == R"(["reconnect"])");
    CHECK(json_field(status.out, "/commands/allow_list_entries") == "2");
    CHECK(json_field(status.out, "/telemetry/interval_ms") == "1000");
}

TEST_CASE("SIGHUP with an invalid file: the old config stays in force and status says why",
          "[integration][reload]") {
    if (!running_as_root()) return;
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.start_online();

    // A schema error: nothing of the file applies, not even its valid keys.
    rig.agent.clear_commands();
    rig.agent.add_command("{name: id3, path: /usr/bin/id, run_as: nobody, sandbox: strict}");
    rig.agent.set("telemetry", "interval", "soon");
    rig.agent.rewrite_config();
    reload(rig, "config reload: " + rig.agent.config_path() + " is not applied");
    REQUIRE(rig.agent.running());
    {
        CliRun status = outpost_status_json(rig.agent);
        CHECK(json_field(status.out, "/config/last_reload/result") == "failed");
        CHECK_THAT(json_field(status.out, "/config/last_reload/error"),
                   Catch::Contains("telemetry.interval"));
        CHECK_THAT(json_field(status.out, "/warnings"),
                   Catch::Contains("the config file is invalid"));
        CHECK(json_field(status.out, "/commands/allow_list_entries") == "1");
    }
    CHECK(run_to_result(rig, "old-entry", "id", {}).str("/msg/data/state") == "succeeded");
    CHECK(run_to_result(rig, "new-entry", "id3", {}).str("/msg/data/state") == "rejected");

    // Valid YAML, but an allow-list entry that cannot be built (no such user).
    rig.agent.set("telemetry", "interval", "");
    rig.agent.clear_commands();
    rig.agent.add_command(
        "{name: id3, path: /usr/bin/id, run_as: no-such-user-outpost, sandbox: strict}");
    rig.agent.rewrite_config();
    reload(rig, "config reload: " + rig.agent.config_path() + " is not applied");
    {
        CliRun status = outpost_status_json(rig.agent);
        CHECK(json_field(status.out, "/config/last_reload/result") == "failed");
        CHECK_THAT(json_field(status.out, "/config/last_reload/error"),
                   Catch::Contains("no-such-user-outpost"));
    }
    CHECK(run_to_result(rig, "old-entry-2", "id", {}).str("/msg/data/state") == "succeeded");

    // Fixed: the next SIGHUP applies it.
    rig.agent.clear_commands();
    rig.agent.add_command("{name: id3, path: /usr/bin/id, run_as: nobody, sandbox: strict}");
    rig.agent.rewrite_config();
    reload(rig, "config reloaded from");
    CHECK(json_field(outpost_status_json(rig.agent).out, "/config/last_reload/result") == "ok");
    CHECK(run_to_result(rig, "new-entry-2", "id3", {}).str("/msg/data/state") == "succeeded");
    CHECK(run_to_result(rig, "old-entry-3", "id", {}).str("/msg/data/state") == "rejected");
}

TEST_CASE("SIGHUP removing the entry of a running command: the command finishes normally",
          "[integration][reload]") {
    if (!running_as_root()) return;
    Rig rig;
    rig.agent.add_command(kSleepEntry);
    rig.start_online();

    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line("long-sleep", "sleep", {"3"}));
    REQUIRE(rig.agent.wait_log("long-sleep: running sleep", kEventLimit));

    rig.agent.clear_commands();
    rig.agent.add_command(kIdEntry);
    rig.agent.rewrite_config();
    reload(rig, "config reloaded from");

    const Event& result =
        rig.hub.expect_event(result_for("long-sleep"), kEventLimit, from, "command_result");
    CHECK(result.str("/msg/data/state") == "succeeded");
    CHECK(result.num("/msg/data/exit_code") == 0);
    CHECK(result.num("/msg/data/duration_ms").value_or(0) >= 2900);
    // A new one meets the new allow-list.
    CHECK(run_to_result(rig, "short-sleep", "sleep", {"1"}).str("/msg/data/state") == "rejected");
}
