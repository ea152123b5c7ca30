// A journal that went backwards, end to end (issue 14): the agent ran
// commands, was killed with SIGKILL, and its journal.db-wal was deleted —
// between checkpoints all of the history lives there. Restarted, the agent
// must not take the empty-looking journal for a fresh one: the finished
// command and the interrupted one, redelivered, are refused (not run), the
// node says it is degraded, hello.journal is untrusted; after
// `outpost journal accept-reset` it runs commands again under a new epoch.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "child_process.hpp"
#include "command_events.hpp"
#include "rig.hpp"

using namespace outpost::integration;

namespace {

std::string execute_line(const std::string& request_id, const std::string& command,
                         const std::string& args) {
    return "send-type execute {\"request_id\":\"" + request_id + "\",\"command\":\"" + command +
           "\",\"args\":[" + args + "]}";
}

// The hello of the session that `connected` opened.
const Event& hello_of(Hub& hub, const Event& connected) {
    const std::string session = connected.str("/session").value_or("?");
    return hub.expect_event(
        [session](const Event& e) { return e.is_message("hello") && e.str("/session") == session; },
        kEventLimit, connected.index(), "hello");
}

void accept_reset(const Agent& agent) {
    ChildProcess reset(SpawnOptions(
        {OUTPOST_AGENT_BIN, "journal", "accept-reset", "--config", agent.config_path()}));
    auto status = reset.wait_exit(Clock::now() + 30s);
    INFO("outpost journal accept-reset: " << reset.all_output(ChildProcess::Stream::out)
                                          << reset.all_output(ChildProcess::Stream::err));
    REQUIRE(status);
    REQUIRE(describe_status(*status) == "exited with 0");
}

}  // namespace

TEST_CASE("a finished command redelivered after the journal's WAL was deleted is refused, not run",
          "[integration][command][journal]") {
    if (::geteuid() != 0) {
        WARN("not running as root: journal test skipped (run_as needs a root agent)");
        return;
    }
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.agent.add_command(kSleepEntry);
    rig.agent.set("journal", "sync", "full");
    const Event& first_online = rig.start_online();
    const Event& first_hello = hello_of(rig.hub, first_online);
    const std::string epoch = first_hello.str("/msg/data/journal/epoch").value_or("");
    CHECK(epoch.size() == 36);
    CHECK(first_hello.boolean("/msg/data/journal/trusted") == true);

    // a-1, a-2 finish; a-3 is still running when the agent is killed.
    std::size_t from = rig.hub.mark();
    for (const char* id : {"a-1", "a-2"}) {
        rig.hub.command(execute_line(id, "id", ""));
        const Event& result = rig.hub.expect_event(result_for(id), kEventLimit, from, id);
        CHECK(result.str("/msg/data/state") == "succeeded");
    }
    rig.hub.command(execute_line("a-3", "sleep", "\"60\""));
    REQUIRE(rig.agent.wait_log("a-3: running", kEventLimit));
    rig.agent.kill();
    const std::string wal = rig.agent.state_dir() + "/journal.db-wal";
    REQUIRE(std::filesystem::exists(wal));
    std::filesystem::remove(wal);

    // Restarted: online but degraded, the journal untrusted, nothing runs.
    from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    const Event& online = rig.start_online();
    CHECK(rig.agent.wait_log("went backwards", 0ms, log_from));
    const Event& hello = hello_of(rig.hub, online);
    CHECK(hello.str("/msg/data/journal/epoch") == epoch);
    CHECK(hello.boolean("/msg/data/journal/trusted") == false);
    const Event& status =
        rig.hub.expect_event(message_of_type("status"), kEventLimit, from, "status after welcome");
    CHECK(status.str("/msg/data/status") == "degraded");
    CHECK(status.str("/msg/data/reason").value_or("").find("went backwards") != std::string::npos);

    for (const std::string id : {"a-1", "a-3"}) {  // redelivered by the control plane
        const std::size_t sent = rig.hub.mark();
        rig.hub.command(id == "a-1" ? execute_line(id, "id", "")
                                    : execute_line(id, "sleep", "\"60\""));
        const Event& ack = rig.hub.expect_event(ack_for(id), kEventLimit, sent, id + " ack");
        CHECK(ack.str("/msg/data/state") == "rejected");
        const std::string reason = ack.str("/msg/data/reason").value_or("");
        INFO("reason: " << reason);
        CHECK(reason.find("went backwards") != std::string::npos);
        CHECK(reason.find("outpost journal accept-reset") != std::string::npos);
    }
    CHECK(rig.agent.count_log("a-1: running") == 1);  // the first run only
    CHECK(rig.agent.count_log("a-3: running") == 1);

    rig.hub.command(R"(send-type health_check {"request_id":"health-backwards"})");
    const Event& health = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("health") && e.str("/msg/data/ref") == "health-backwards";
        },
        kEventLimit, from, "health");
    CHECK(health.str("/msg/data/checks/database") == "fail");

    // The operator accepts the loss: a new epoch, and commands run again.
    rig.agent.stop();
    accept_reset(rig.agent);
    from = rig.hub.mark();
    const Event& after = rig.start_online();
    const Event& new_hello = hello_of(rig.hub, after);
    const std::string new_epoch = new_hello.str("/msg/data/journal/epoch").value_or("");
    CHECK(new_epoch.size() == 36);
    CHECK(new_epoch != epoch);
    CHECK(new_hello.boolean("/msg/data/journal/trusted") == true);
    const std::size_t sent = rig.hub.mark();
    rig.hub.command(execute_line("b-1", "id", ""));
    const Event& result = rig.hub.expect_event(result_for("b-1"), kEventLimit, sent, "b-1");
    CHECK(result.str("/msg/data/state") == "succeeded");
    CHECK(rig.hub
              .events(
                  [](const Event& e) {
                      return e.is_message("status") && e.str("/msg/data/status") == "degraded";
                  },
                  from)
              .empty());
}
