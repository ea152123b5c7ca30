// Group commit with the fdatasync on the sync thread (what `outpost run`
// uses for journal.sync: full): while a batch's sync is in flight the loop
// goes on, newer commits form the next batch, and nothing that depends on a
// commit — an ack, a result, a process start — happens before the sync that
// covers it has answered. Real journal file, real runner, real processes,
// the real thread syncing the real WAL; the test only holds the sync back
// (a gate in front of fdatasync) or makes it fail, which no disk does on
// demand.

#include <functional>
#include <thread>

#include "../journal/fault_vfs.hpp"
#include "../journal/sync_gate.hpp"
#include "agent/journal/file_mode.hpp"
#include "agent/journal/wal_sync_thread.hpp"
#include "agent/transport/fd_watch.hpp"
#include "dispatcher_fixture.hpp"
#include "flush_passes.hpp"

using namespace outpost::dispatch::test;
using namespace std::chrono_literals;
using outpost::journal::SyncMode;
using AckState = outpost::protocol::outbound::AckState;
using ResultState = outpost::protocol::outbound::ResultState;

namespace {

struct ThreadFixture : Fixture, FlushPasses {
    ThreadFixture() : Fixture(true, std::nullopt, 1024 * 1024, {.sync = SyncMode::full}) {
        auto started = outpost::journal::WalSyncThread::start(
            outpost::journal::wal_path(journal->path()), gate.call());
        REQUIRE(started);
        thread = std::move(*started);
        auto watch = outpost::transport::FdWatch::create(*loop, thread->ready_fd(),
                                                         [this] { thread->deliver(); });
        REQUIRE(watch);
        answers = std::move(*watch);
        dispatcher->enable_group_commit(schedule(), thread.get());  // off the loop at once
        sync_pending = [this] { return thread->in_flight(); };
    }
    ~ThreadFixture() {
        let_through();
        dispatcher->close_batch();  // the dispatcher waits for its sync before the thread goes
    }

    void let_through() { gate.let_through(); }
    void wait_entered(int n) { gate.wait_entered(n); }
    int syncs_entered() { return gate.entered(); }
    bool settle(const std::function<bool()>& done) { return settle_on(*loop, done, 400); }

    journal_test::SyncGate gate;  // before the thread, which calls it
    std::unique_ptr<outpost::journal::WalSyncThread> thread;
    std::unique_ptr<outpost::transport::FdWatch> answers;
};

}  // namespace

TEST_CASE("the loop goes on during a batch's sync, the next batch waits for it, in order",
          "[group][thread]") {
    ThreadFixture f;
    f.deliver(execute_json("t-1", "append", {}));
    f.next_pass();  // the batch goes to the thread, which holds at the gate
    f.wait_entered(1);
    CHECK(f.sent.empty());
    CHECK(f.runner->running() == 0);

    // The loop is free. A redelivery needs no commit, yet its answer waits
    // behind the batch in flight; a second command is looked up and
    // journaled now, in a batch of its own that waits behind it too.
    f.deliver(execute_json("t-1", "append", {}));
    CHECK(f.sent.empty());
    f.deliver(execute_json("t-2", "append", {}));
    f.next_pass();
    f.loop->run_until([] { return false; }, 50ms);
    CHECK(f.syncs_entered() == 1);  // one sync at a time
    CHECK(f.sent.empty());
    CHECK(f.runner->running() == 0);
    auto row = f.journal->lookup("t-2");
    REQUIRE(row);
    REQUIRE(*row);
    CHECK((*row)->state == outpost::journal::CommandState::running);

    f.let_through();
    REQUIRE(f.settle([&] { return f.results("t-1").size() == 1 && f.results("t-2").size() == 1; }));
    // t-1's ack, the redelivery's, then (its batch synced next) t-2's.
    REQUIRE(f.sent.size() >= 3);
    const auto* first = std::get_if<outpost::protocol::outbound::CommandAck>(&f.sent[0]);
    const auto* second = std::get_if<outpost::protocol::outbound::CommandAck>(&f.sent[1]);
    const auto* third = std::get_if<outpost::protocol::outbound::CommandAck>(&f.sent[2]);
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(third);
    CHECK(first->request_id == "t-1");
    CHECK(first->state == AckState::accepted);
    CHECK(second->request_id == "t-1");
    CHECK(second->state == AckState::running);
    CHECK(third->request_id == "t-2");
    CHECK(third->state == AckState::accepted);
    CHECK(f.results("t-1")[0]->state == ResultState::succeeded);
    CHECK(f.results("t-2")[0]->state == ResultState::succeeded);
    CHECK(f.append_runs() == 2);
    CHECK(f.syncs_entered() >= 3);  // t-1's row, t-2's row, the results
    CHECK(f.sent_while_unsynced == 0);
    CHECK_FALSE(f.journal->syncs_deferred());
}

TEST_CASE("a failed sync starts nothing from its batch nor from the batch behind it",
          "[group][thread]") {
    ThreadFixture f;
    f.gate.fail_next(1);
    f.deliver(execute_json("f-1", "append", {}));
    f.next_pass();
    f.wait_entered(1);
    f.deliver(
        execute_json("f-2", "append", {}));  // journaled `running` before the failure is known
    f.next_pass();
    f.let_through();
    REQUIRE(f.settle([&] { return f.results("f-1").size() == 1 && f.results("f-2").size() == 1; }));
    for (const char* id : {"f-1", "f-2"}) {
        REQUIRE(f.acks(id).size() == 1);
        CHECK(f.acks(id)[0]->state == AckState::accepted);
        CHECK(f.results(id)[0]->state == ResultState::failed);
        CHECK(f.results(id)[0]->reason.value_or("") ==
              "not started: the journal could not be synced");
    }
    CHECK(f.append_runs() == 0);

    // Later commands are refused until a restart; health says why.
    f.deliver(execute_json("f-3", "append", {}));
    REQUIRE(f.settle([&] { return !f.results("f-3").empty(); }));
    CHECK(f.results("f-3")[0]->state == ResultState::rejected);
    CHECK_THAT(f.results("f-3")[0]->reason.value_or(""),
               Catch::Contains("fdatasync of the write-ahead log"));
    CHECK(f.dispatcher->health().checks.database == outpost::protocol::outbound::CheckResult::fail);
    CHECK(f.append_runs() == 0);
    CHECK(f.sent_while_unsynced == 0);
}

TEST_CASE("a cancel waits for the sync in flight, then finds the command started",
          "[group][thread]") {
    ThreadFixture f;
    f.deliver(execute_json("c-1", "sleep", {"30"}));
    f.next_pass();
    f.wait_entered(1);
    std::thread opener([&] {
        std::this_thread::sleep_for(100ms);
        f.let_through();
    });
    f.deliver(message("cancel", R"({"request_id":"c-1"})"));  // blocks until the answer
    opener.join();
    CHECK(f.errors().empty());
    REQUIRE(f.acks("c-1").size() == 1);
    CHECK(f.acks("c-1")[0]->state == AckState::accepted);
    REQUIRE(f.settle([&] { return !f.results("c-1").empty(); }));
    CHECK(f.results("c-1")[0]->state == ResultState::cancelled);
    CHECK(f.sent_while_unsynced == 0);
}

TEST_CASE("shutdown waits for the sync in flight and starts nothing from either batch",
          "[group][thread]") {
    ThreadFixture f;
    f.deliver(execute_json("s-1", "append", {}));
    f.next_pass();
    f.wait_entered(1);
    f.deliver(execute_json("s-2", "append", {}));
    std::thread opener([&] {
        std::this_thread::sleep_for(100ms);
        f.let_through();
    });
    f.dispatcher->close_batch();
    opener.join();
    CHECK(f.runner->running() == 0);
    CHECK(f.sent.empty());  // muted: results go after the next welcome
    for (const char* id : {"s-1", "s-2"}) {
        auto record = f.journal->lookup(id);
        REQUIRE(record);
        REQUIRE(*record);
        CHECK((*record)->state == outpost::journal::CommandState::failed);
    }
    f.loop->run_until([] { return false; }, 100ms);
    CHECK(f.append_runs() == 0);
}

TEST_CASE("a synced batch's effects write and act at once while the next batch is open",
          "[group][thread]") {
    // Batch N: x (refused by the runner at start), y (runs), z (queued:
    // max_concurrent 2). While N's sync is held, w arrives: batch N+1 is
    // open. N's effects then finish x (a write), send its result, and start
    // z in the freed slot (a write): those writes must be synced themselves
    // (the journal pauses N+1's deferral), or x's result and z's start
    // would rest on commits that are not durable.
    ThreadFixture f;
    f.deliver(execute_json("x", "unstartable", {}));
    f.deliver(execute_json("y", "sleep", {"30"}));
    f.deliver(execute_json("z", "append", {}));
    f.next_pass();
    f.wait_entered(1);
    f.deliver(execute_json("w", "append", {}));  // N+1: queued behind z
    CHECK(f.pending_flush);
    f.let_through();
    REQUIRE(f.settle([&] { return !f.results("x").empty() && !f.results("z").empty(); }));
    CHECK(f.results("x")[0]->state == ResultState::failed);
    CHECK(f.results("z")[0]->state == ResultState::succeeded);
    CHECK(f.sent_while_unsynced == 0);
    f.deliver(message("cancel", R"({"request_id":"y"})"));
    REQUIRE(f.settle([&] { return !f.results("y").empty() && !f.results("w").empty(); }));
    CHECK(f.results("w")[0]->state == ResultState::succeeded);
    CHECK(f.append_runs() == 2);
    CHECK(f.sent_while_unsynced == 0);
}

TEST_CASE(
    "syncs stay on the loop until one is slow, move to the thread, and come back when "
    "the disk is fast again",
    "[group][thread]") {
    // What `outpost run` does: a good disk's sync costs less than the
    // hand-off to a thread, so the loop syncs until a sync takes the
    // threshold. The disk is the real one behind the counting VFS, slowed.
    Fixture f(true, std::nullopt, 1024 * 1024,
              {.sync = SyncMode::full, .vfs = journal_test::FaultVfs::install().kName});
    journal_test::FaultVfs& vfs = journal_test::FaultVfs::install();
    journal_test::SyncGate gate;
    gate.let_through();
    auto started = outpost::journal::WalSyncThread::start(
        outpost::journal::wal_path(f.journal->path()), gate.call());
    REQUIRE(started);
    auto thread = std::move(*started);
    auto answers = outpost::transport::FdWatch::create(*f.loop, thread->ready_fd(),
                                                       [&] { thread->deliver(); });
    REQUIRE(answers);
    FlushPasses passes;
    f.dispatcher->enable_group_commit(passes.schedule(), thread.get(), 20ms, 3);
    f.sync_pending = [&] { return thread->in_flight(); };
    CHECK_FALSE(f.dispatcher->syncs_off_loop());

    f.deliver(execute_json("a-1", "append", {}));
    const int loop_syncs = vfs.wal_syncs;
    passes.next_pass();
    CHECK(vfs.wal_syncs == loop_syncs + 1);  // synced by the loop, through SQLite
    CHECK(gate.entered() == 0);
    REQUIRE(passes.settle_on(*f.loop, [&] { return !f.results("a-1").empty(); }));
    CHECK_FALSE(f.dispatcher->syncs_off_loop());

    vfs.slow_wal_syncs_ms = 30;
    f.deliver(execute_json("a-2", "append", {}));
    passes.next_pass();
    vfs.slow_wal_syncs_ms = 0;
    CHECK(f.dispatcher->syncs_off_loop());
    REQUIRE(passes.settle_on(*f.loop, [&] { return !f.results("a-2").empty(); }));
    const int thread_syncs = gate.entered();
    CHECK(thread_syncs >= 1);  // a-2's result went through the thread

    f.deliver(execute_json("a-3", "append", {}));
    REQUIRE(passes.settle_on(*f.loop, [&] { return !f.results("a-3").empty(); }));
    CHECK(gate.entered() >= thread_syncs + 2);  // its row and its result

    // Three fast syncs in a row on the thread: the loop syncs again. (A
    // disk outlier of 10 ms or more starts the count anew: a few more.)
    int runs = 3;
    for (int i = 0; i < 20 && f.dispatcher->syncs_off_loop(); ++i, ++runs) {
        const std::string id = "b-" + std::to_string(i);
        f.deliver(execute_json(id, "append", {}));
        REQUIRE(passes.settle_on(*f.loop, [&] { return !f.results(id).empty(); }));
    }
    REQUIRE_FALSE(f.dispatcher->syncs_off_loop());
    const int on_thread = gate.entered();
    const int on_loop = vfs.wal_syncs;
    f.deliver(execute_json("a-6", "append", {}));
    REQUIRE(passes.settle_on(*f.loop, [&] { return !f.results("a-6").empty(); }));
    CHECK(gate.entered() == on_thread);
    CHECK(vfs.wal_syncs >= on_loop + 2);
    CHECK(f.append_runs() == static_cast<std::size_t>(runs + 1));
    CHECK(f.sent_while_unsynced == 0);
    f.dispatcher->close_batch();
    f.sync_pending = nullptr;  // the thread goes before the fixture
}
