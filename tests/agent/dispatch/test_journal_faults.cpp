// The journal failing under a running agent: a full disk when a result is
// stored, a recovery that cannot write at start-up. Whatever happens, a
// request_id gets one terminal result, and nothing runs that the journal
// could not record. Real journal file (through a VFS that can refuse
// writes), real runner, real processes.

#include "../journal/fault_vfs.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using outpost::journal::SyncMode;
using AckState = outpost::protocol::outbound::AckState;
using ResultState = outpost::protocol::outbound::ResultState;

namespace {

struct FaultFixture : Fixture {
    FaultFixture()
        : Fixture(true, std::nullopt, 1024 * 1024,
                  {.sync = SyncMode::normal, .vfs = journal_test::FaultVfs::install().kName}) {}
    ~FaultFixture() { vfs.disk_full = false; }
    journal_test::FaultVfs& vfs = journal_test::FaultVfs::install();
};

std::string database_check(Fixture& f) {
    auto health = f.dispatcher->health();
    return std::string(outpost::protocol::outbound::to_string(health.checks.database));
}

}  // namespace

TEST_CASE("a result the journal cannot store is kept, not sent, and sent once stored") {
    FaultFixture f;
    f.deliver(execute_json("full-1", "sleep", {"0.3"}));
    REQUIRE(f.acks("full-1").size() == 1);
    CHECK(f.acks("full-1")[0]->state == AckState::accepted);
    f.vfs.disk_full = true;  // the disk fills while it runs
    REQUIRE(f.loop->run_until([&] { return f.dispatcher->counts().running == 0; },
                              std::chrono::seconds(10)));
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(50));
    // Sent now, it could be contradicted by `interrupted` after a restart.
    CHECK(f.results("full-1").empty());
    CHECK(f.dispatcher->journal_problem().find("1 result(s) could not be journaled") !=
          std::string::npos);
    CHECK(database_check(f) == "fail");
    // Asked again: finished (duplicate), its result follows once stored.
    f.deliver(execute_json("full-1", "sleep", {"0.3"}));
    CHECK(f.acks("full-1").back()->state == AckState::duplicate);
    CHECK(f.results("full-1").empty());
    f.dispatcher->maintain(std::chrono::hours(1));  // still full: kept
    CHECK(f.results("full-1").empty());

    f.vfs.disk_full = false;
    f.dispatcher->maintain(std::chrono::hours(1));
    REQUIRE(f.results("full-1").size() == 1);
    CHECK(f.results("full-1")[0]->state == ResultState::succeeded);
    CHECK(f.dispatcher->journal_problem().empty());
    CHECK(database_check(f) == "ok");
    f.deliver(execute_json("full-1", "sleep", {"0.3"}));
    CHECK(f.acks("full-1").back()->state == AckState::duplicate);
    CHECK(f.results("full-1").size() == 2);
    CHECK(f.results("full-1")[1]->state == ResultState::succeeded);
}

TEST_CASE("a stored result goes out when the next command finds room on the disk") {
    FaultFixture f;
    f.deliver(execute_json("full-2", "echo", {"x"}));
    f.vfs.disk_full = true;
    REQUIRE(f.loop->run_until([&] { return f.dispatcher->counts().running == 0; },
                              std::chrono::seconds(10)));
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(50));
    CHECK(f.results("full-2").empty());
    f.vfs.disk_full = false;
    f.deliver(execute_json("next-2", "echo", {"y"}));
    REQUIRE(f.results("full-2").size() == 1);
    CHECK(f.results("full-2")[0]->state == ResultState::succeeded);
    REQUIRE(f.wait_results("next-2"));
}

TEST_CASE("a recovery that cannot write refuses commands until a retry works") {
    FaultFixture f;
    outpost::journal::CommandSpec spec;
    spec.request_id = "left-running";
    spec.command = "append";
    const auto now = std::chrono::system_clock::now();
    REQUIRE(f.journal->queue(spec, now).has_value());
    REQUIRE(f.journal->mark_running("left-running", now).has_value());

    f.vfs.disk_full = true;
    f.dispatcher->recover();
    f.dispatcher->resend_undelivered();
    CHECK(f.results("left-running").empty());
    CHECK(f.dispatcher->journal_problem().find("journal recovery after the restart failed") !=
          std::string::npos);
    CHECK(database_check(f) == "fail");
    // A redelivery is answered from the journal; a new command does not run.
    f.deliver(execute_json("left-running", "append", {}));
    CHECK(f.acks("left-running").back()->state == AckState::running);
    f.deliver(execute_json("new-1", "append", {}));
    REQUIRE(f.acks("new-1").size() == 1);
    CHECK(f.acks("new-1")[0]->state == AckState::rejected);
    CHECK(f.acks("new-1")[0]->reason.value_or("").find("recovery") != std::string::npos);
    f.dispatcher->maintain(std::chrono::hours(1));  // still failing
    CHECK(f.results("left-running").empty());

    f.vfs.disk_full = false;
    f.dispatcher->maintain(std::chrono::hours(1));
    REQUIRE(f.results("left-running").size() == 1);
    CHECK(f.results("left-running")[0]->state == ResultState::interrupted);
    CHECK(f.dispatcher->journal_problem().empty());
    f.deliver(execute_json("new-2", "append", {}));
    REQUIRE(f.wait_results("new-2"));
    CHECK(f.results("new-2")[0]->state == ResultState::succeeded);
    CHECK(f.append_runs() == 1);  // new-2 only: left-running never ran again
}

TEST_CASE("a cancel the journal could not store still keeps the command from running") {
    FaultFixture f;
    f.deliver(execute_json("held-c", "append", {}, R"(,"requires_approval":true)"));
    REQUIRE(f.acks("held-c").size() == 1);
    CHECK(f.acks("held-c")[0]->state == AckState::awaiting_approval);
    f.vfs.disk_full = true;
    f.deliver(message("cancel", R"({"request_id":"held-c"})"));
    CHECK(f.results("held-c").empty());  // cancelled, not stored yet
    f.vfs.disk_full = false;
    // The row still says awaiting_approval; the approval must not start it.
    f.deliver(message("execute_approved", R"({"request_id":"held-c","approved_by":"alice"})"));
    CHECK(f.acks("held-c").back()->state == AckState::duplicate);
    f.deliver(message("cancel", R"({"request_id":"held-c"})"));
    CHECK(f.errors().size() == 1);  // finished: unknown_request
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(200));
    CHECK(f.append_runs() == 0);
    f.dispatcher->maintain(std::chrono::hours(1));
    REQUIRE(f.results("held-c").size() == 1);
    CHECK(f.results("held-c")[0]->state == ResultState::cancelled);
    CHECK(f.dispatcher->journal_problem().empty());
}

TEST_CASE("a held command cancelled on a full disk is not expired meanwhile") {
    FaultFixture f;
    const std::string not_after = outpost::protocol::format_rfc3339(
        std::chrono::system_clock::now() + std::chrono::milliseconds(800));
    f.deliver(execute_json("held-e", "append", {},
                           R"(,"requires_approval":true,"not_after":")" + not_after + "\""));
    REQUIRE(f.acks("held-e").size() == 1);
    f.vfs.disk_full = true;
    f.deliver(message("cancel", R"({"request_id":"held-e"})"));
    CHECK_FALSE(f.dispatcher->next_approval_deadline().has_value());           // no expiry timer
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(1000));  // deadline passes
    f.vfs.disk_full = false;
    f.dispatcher->expire_approvals();  // a stale timer: held back while the cancel waits
    CHECK(f.results("held-e").empty());
    f.dispatcher->maintain(std::chrono::hours(1));
    REQUIRE(f.results("held-e").size() == 1);
    CHECK(f.results("held-e")[0]->state == ResultState::cancelled);
}
