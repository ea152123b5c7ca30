// Group commit (journal.sync: full): the journal writes of one loop pass are
// synced once, and nothing that depends on them — an ack, a result, a
// process start — happens before that sync. Real journal file, real runner,
// real processes; the test plays the loop's "start of the next pass" by
// running the scheduled flush itself.

#include <functional>

#include "../journal/fault_vfs.hpp"
#include "dispatcher_fixture.hpp"
#include "flush_passes.hpp"

using namespace outpost::dispatch::test;
using outpost::journal::SyncMode;
using AckState = outpost::protocol::outbound::AckState;
using ResultState = outpost::protocol::outbound::ResultState;

namespace {

struct GroupFixture : Fixture, FlushPasses {
    // The journal's file system is the real one, seen through a VFS that
    // counts (and can fail) syncs of the write-ahead log.
    GroupFixture()
        : Fixture(true, std::nullopt, 1024 * 1024,
                  {.sync = SyncMode::full, .vfs = journal_test::FaultVfs::install().kName}) {
        dispatcher->enable_group_commit(schedule());
    }
    bool settle(const std::function<bool()>& done) { return settle_on(*loop, done); }
    journal_test::FaultVfs& vfs = journal_test::FaultVfs::install();
};

}  // namespace

TEST_CASE("commands of one pass share one sync, acks and starts wait for it") {
    GroupFixture f;
    f.deliver(execute_json("g-1", "append", {}));
    f.deliver(execute_json("g-2", "append", {}));
    f.deliver(execute_json("g-3", "append", {}));  // max_concurrent 2: queued
    CHECK(f.scheduled == 1);                       // one batch for the pass
    CHECK(f.sent.empty());                         // no ack before the rows are durable
    CHECK(f.runner->running() == 0);
    CHECK(f.journal->group_syncs() == 0);
    const int wal_syncs = f.vfs.wal_syncs;

    f.next_pass();
    CHECK(f.journal->group_syncs() == 1);
    CHECK(f.vfs.wal_syncs == wal_syncs + 1);  // one real fdatasync of the WAL for three commits
    REQUIRE(f.sent.size() == 3);
    for (const char* id : {"g-1", "g-2", "g-3"}) {
        REQUIRE(f.acks(id).size() == 1);
        CHECK(f.acks(id)[0]->state == AckState::accepted);
    }
    CHECK(f.runner->running() == 2);

    // A finished command's result waits for its batch's sync too.
    REQUIRE(
        f.loop->run_until([&] { return f.pending_flush != nullptr; }, std::chrono::seconds(10)));
    const std::size_t sent_before = f.sent.size();
    const auto syncs_before = f.journal->group_syncs();
    CHECK(sent_before == 3);
    f.next_pass();
    CHECK(f.journal->group_syncs() == syncs_before + 1);
    CHECK(f.sent.size() > sent_before);
    // The queued one starts when a slot frees; all three finish.
    REQUIRE(f.settle([&] { return !f.results("g-3").empty(); }));
    for (const char* id : {"g-1", "g-2", "g-3"}) {
        REQUIRE(f.results(id).size() == 1);
        CHECK(f.results(id)[0]->state == ResultState::succeeded);
    }
    CHECK(f.append_runs() == 3);
    CHECK_FALSE(f.journal->syncs_deferred());
    CHECK(f.sent_while_unsynced == 0);
}

TEST_CASE("a duplicate in the same pass is answered after the first's batch, in order") {
    GroupFixture f;
    f.deliver(execute_json("d-1", "append", {}));
    f.deliver(execute_json("d-1", "append", {}));
    CHECK(f.sent.empty());
    f.next_pass();
    REQUIRE(f.acks("d-1").size() == 2);
    CHECK(f.acks("d-1")[0]->state == AckState::accepted);
    CHECK(f.acks("d-1")[1]->state == AckState::running);
    REQUIRE(f.settle([&] { return !f.results("d-1").empty(); }));
    CHECK(f.append_runs() == 1);
}

TEST_CASE("a cancel first flushes the batch, so it finds the command started") {
    GroupFixture f;
    f.deliver(execute_json("k-1", "sleep", {"30"}));
    REQUIRE(f.pending_flush);
    f.deliver(message("cancel", R"({"request_id":"k-1"})"));  // same pass
    CHECK(f.errors().empty());
    REQUIRE(f.acks("k-1").size() == 1);
    REQUIRE(f.settle([&] { return !f.results("k-1").empty(); }));
    REQUIRE(f.results("k-1").size() == 1);
    CHECK(f.results("k-1")[0]->state == ResultState::cancelled);
}

TEST_CASE("shutdown makes the batch durable and starts nothing from it") {
    GroupFixture f;
    f.deliver(execute_json("s-1", "append", {}));
    f.dispatcher->close_batch();
    CHECK(f.runner->running() == 0);
    CHECK(f.sent.empty());
    CHECK(f.journal->group_syncs() == 1);
    // The row was durable as `running`; its process never started, and the
    // journal says so (not `interrupted` at the next start, which would claim
    // it was running). The result goes out after the next welcome.
    auto record = f.journal->lookup("s-1");
    REQUIRE(record);
    REQUIRE(*record);
    CHECK((*record)->state == outpost::journal::CommandState::failed);
    REQUIRE((*record)->result);
    CHECK((*record)->result->reason.value_or("") == "not started: the agent was stopping");
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(100));
    CHECK(f.append_runs() == 0);
    CHECK(f.sent.empty());
    f.dispatcher->resend_undelivered();
    REQUIRE(f.results("s-1").size() == 1);
    CHECK(f.results("s-1")[0]->state == ResultState::failed);
}

TEST_CASE("journal.sync: normal never opens a batch") {
    Fixture f;  // normal
    int scheduled = 0;
    f.dispatcher->enable_group_commit([&](std::function<void()>) { ++scheduled; });
    f.deliver(execute_json("n-1", "append", {}));
    CHECK(scheduled == 0);
    REQUIRE(f.acks("n-1").size() == 1);  // at once
    REQUIRE(f.wait_results("n-1"));
}

TEST_CASE("a flush whose effects open another batch is drained before a cancel acts") {
    // Found in review: B fails to start inside A's flush (finishing B is a
    // write: a new batch), which frees the slot C waited for (another
    // write). The cancel must still find C and stop it, not a placeholder.
    GroupFixture f;
    f.deliver(execute_json("q-a", "sleep", {"30"}));
    f.deliver(execute_json("q-b", "unstartable", {}));
    f.deliver(execute_json("q-c", "sleep", {"30"}));  // queued: max_concurrent 2
    f.deliver(message("cancel", R"({"request_id":"q-c"})"));
    CHECK(f.errors().empty());
    REQUIRE(f.settle([&] { return !f.results("q-c").empty() && !f.results("q-b").empty(); }));
    CHECK(f.results("q-b")[0]->state == ResultState::failed);
    CHECK(f.results("q-c")[0]->state == ResultState::cancelled);
    f.deliver(message("cancel", R"({"request_id":"q-a"})"));
    REQUIRE(f.settle([&] { return !f.results("q-a").empty(); }));
    CHECK(f.sent_while_unsynced == 0);
}

TEST_CASE("the re-send after welcome waits for every batch, and sends each result once") {
    GroupFixture f;
    f.deliver(execute_json("w-a", "append", {}));
    f.deliver(execute_json("w-b", "unstartable", {}));
    f.dispatcher->resend_undelivered();  // a welcome in the same pass
    CHECK_FALSE(f.journal->syncs_deferred());
    CHECK(f.sent_while_unsynced == 0);  // w-b's result went out only once durable
    REQUIRE_FALSE(f.results("w-b").empty());
    REQUIRE(f.settle([&] { return !f.results("w-a").empty(); }));
    CHECK(f.sent_while_unsynced == 0);
}

TEST_CASE("after close_batch nothing queued starts and writes sync themselves") {
    GroupFixture f;
    f.deliver(execute_json("z-a", "sleep", {"30"}));
    f.deliver(execute_json("z-b", "sleep", {"30"}));
    f.deliver(execute_json("z-c", "append", {}));  // queued
    f.next_pass();
    REQUIRE(f.runner->running() == 2);
    f.dispatcher->close_batch();
    const int scheduled = f.scheduled;
    f.deliver(message("cancel", R"({"request_id":"z-a"})"));
    REQUIRE(f.wait_results("z-a", 1, std::chrono::seconds(10)));  // sent at once: no batch
    CHECK(f.scheduled == scheduled);
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(200));
    CHECK(f.append_runs() == 0);  // z-c stays queued (interrupted at the next start)
    CHECK(f.results("z-c").empty());
}

TEST_CASE("a failed group sync starts nothing from its batch and refuses new commands") {
    GroupFixture f;
    f.deliver(execute_json("held-f", "append", {}, R"(,"requires_approval":true)"));
    f.deliver(execute_json("run-f", "sleep", {"1"}));
    f.next_pass();
    REQUIRE(f.acks("run-f").size() == 1);
    f.deliver(execute_json("f-1", "append", {}));
    f.deliver(execute_json("q-f", "append", {}));  // max_concurrent 2: queued behind f-1
    CHECK(f.journal_failures == 0);
    f.vfs.fail_next_wal_syncs = 1;
    f.next_pass();
    CHECK(f.journal_failures == 1);  // the server is told at once (status degraded)
    // The acks still go out; the commands are never started.
    CHECK(f.acks("f-1").size() == 1);
    CHECK(f.acks("q-f").size() == 1);
    REQUIRE(f.settle([&] { return !f.results("f-1").empty() && !f.results("q-f").empty(); }));
    for (const char* id : {"f-1"}) {
        CHECK(f.results(id)[0]->state == ResultState::failed);
        REQUIRE(f.results(id)[0]->reason);
        CHECK(*f.results(id)[0]->reason == "not started: the journal could not be synced");
    }
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(100));
    CHECK(f.append_runs() == 0);
    // Until a restart, nothing new runs, and the reason says why.
    f.deliver(execute_json("f-3", "append", {}));
    f.next_pass();
    REQUIRE(f.acks("f-3").size() == 1);
    CHECK(f.acks("f-3")[0]->state == AckState::rejected);
    REQUIRE(f.acks("f-3")[0]->reason);
    CHECK(f.acks("f-3")[0]->reason->find("a journal sync failed") != std::string::npos);
    // The queued command is answered now, not at the next restart.
    REQUIRE(f.results("q-f").size() == 1);
    CHECK(f.results("q-f")[0]->state == ResultState::rejected);
    CHECK(f.results("q-f")[0]->reason.value_or("").find("not started: a journal sync failed") !=
          std::string::npos);
    // A command already running is answered from the journal when the server
    // sends it again, and finishes once: never a second, made-up result.
    f.deliver(execute_json("run-f", "sleep", {"1"}));
    f.next_pass();
    CHECK(f.acks("run-f").back()->state == AckState::running);
    REQUIRE(f.settle([&] { return !f.results("run-f").empty(); }));
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(100));
    REQUIRE(f.results("run-f").size() == 1);
    CHECK(f.results("run-f")[0]->state == ResultState::succeeded);
    // An approval of a command held before the failure starts nothing
    // either: the held command is finished as rejected, with the reason.
    f.deliver(message("execute_approved", R"({"request_id":"held-f","approved_by":"alice"})"));
    f.next_pass();
    REQUIRE(f.settle([&] { return !f.results("held-f").empty(); }));
    CHECK(f.results("held-f")[0]->state == ResultState::rejected);
    CHECK(f.results("held-f")[0]->reason.value_or("").find("a journal sync failed") !=
          std::string::npos);
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(100));
    CHECK(f.append_runs() == 0);
}
