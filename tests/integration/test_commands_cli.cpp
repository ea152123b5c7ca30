// `outpost commands` against a journal made by the real agent
// (agent/cli/journal_listing.hpp): refused with the holder's pid while the
// agent runs, listed after a kill -9 (from a private copy, the write-ahead
// log included) and after a clean stop, newest first, filtered by state,
// limited, as JSON; the journal's directory is left exactly as it was.
#include <unistd.h>

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <set>

#include "command_events.hpp"
#include "rig.hpp"

using namespace outpost::integration;

namespace {

struct CliRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

CliRun outpost_commands(const Agent& agent, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{OUTPOST_AGENT_BIN, "commands", "--config", agent.config_path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ChildProcess run{SpawnOptions(argv)};
    auto exited = run.wait_exit(Clock::now() + 20s);
    REQUIRE(exited);
    REQUIRE(WIFEXITED(*exited));
    CliRun result{WEXITSTATUS(*exited), run.all_output(ChildProcess::Stream::out),
                  run.all_output(ChildProcess::Stream::err)};
    UNSCOPED_INFO("outpost commands exited " << result.exit_code << "\nstdout:\n"
                                             << result.out << "stderr:\n"
                                             << result.err);
    return result;
}

std::set<std::string> files_in(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        names.insert(entry.path().filename().string() + " " +
                     std::to_string(entry.is_regular_file() ? entry.file_size() : 0));
    }
    return names;
}

// request_id and state of each listed command, in order.
std::vector<std::pair<std::string, std::string>> listed(const std::string& json) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
    REQUIRE(std::string(root["format"].get_string().value()) == "outpost.commands.v1");
    std::vector<std::pair<std::string, std::string>> out;
    for (simdjson::dom::element row : root["commands"].get_array()) {
        out.emplace_back(std::string(row["request_id"].get_string().value()),
                         std::string(row["state"].get_string().value()));
    }
    return out;
}

void run_to_result(Rig& rig, const std::string& request_id, const std::string& command,
                   const std::vector<std::string>& args) {
    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line(request_id, command, args));
    rig.hub.expect_event(result_for(request_id), kEventLimit, from, "command_result");
}

}  // namespace

TEST_CASE("outpost commands: refused while the agent holds the journal, listed once it is down",
          "[integration][commands-cli]") {
    if (::geteuid() != 0) {
        WARN("not running as root: skipped (run_as needs a root agent)");
        return;
    }
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.agent.add_command(kSleepEntry);
    rig.start_online();
    run_to_result(rig, "first-id", "id", {});
    run_to_result(rig, "a-sleep", "sleep", {"1"});
    run_to_result(rig, "not-listed", "cat", {});  // rejected by the allow-list
    run_to_result(rig, "last-id", "id", {});

    // Running: the journal is the agent's alone; the listing says so.
    {
        CliRun run = outpost_commands(rig.agent);
        CHECK(run.exit_code == 1);
        CHECK_THAT(run.err, Catch::Contains("held by the running agent (pid " +
                                            std::to_string(rig.agent.pid()) + ")"));
    }

    // Killed: the write-ahead log is left; the listing reads a private copy
    // and the state directory stays as the agent will find it.
    rig.agent.kill();
    const std::string state_dir = rig.agent.state_dir();
    const auto before = files_in(state_dir);
    {
        CliRun run = outpost_commands(rig.agent, {"--json"});
        REQUIRE(run.exit_code == 0);
        const std::vector<std::pair<std::string, std::string>> want{{"last-id", "succeeded"},
                                                                    {"not-listed", "rejected"},
                                                                    {"a-sleep", "succeeded"},
                                                                    {"first-id", "succeeded"}};
        CHECK(listed(run.out) == want);
    }
    CHECK(files_in(state_dir) == before);

    // Stopped cleanly: read in place, read-only.
    rig.start_online();
    rig.agent.stop();
    const auto stopped = files_in(state_dir);
    {
        CliRun run = outpost_commands(rig.agent);
        REQUIRE(run.exit_code == 0);
        CHECK_THAT(run.out, Catch::StartsWith("REQUEST_ID"));
        CHECK(run.out.find("last-id") < run.out.find("first-id"));  // newest first
        CHECK_THAT(run.out, Catch::Contains("rejected"));
    }
    {
        CliRun run =
            outpost_commands(rig.agent, {"--json", "--state", "succeeded", "--limit", "2"});
        REQUIRE(run.exit_code == 0);
        const std::vector<std::pair<std::string, std::string>> want{{"last-id", "succeeded"},
                                                                    {"a-sleep", "succeeded"}};
        CHECK(listed(run.out) == want);
    }
    CHECK(files_in(state_dir) == stopped);

    // Bad input: a state that does not exist, a limit that is not a number.
    {
        CliRun run = outpost_commands(rig.agent, {"--state", "done"});
        CHECK(run.exit_code == 2);
        CHECK_THAT(run.err, Catch::Contains("one of: awaiting_approval, queued, running"));
    }
    CHECK(outpost_commands(rig.agent, {"--limit", "0"}).exit_code == 2);
    CHECK(outpost_commands(rig.agent, {"--limit", "ten"}).exit_code == 2);

    // No journal at all.
    std::filesystem::rename(state_dir + "/journal.db", state_dir + "/journal.db.aside");
    CliRun missing = outpost_commands(rig.agent);
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("no journal at"));
}
