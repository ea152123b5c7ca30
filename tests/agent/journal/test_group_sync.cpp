// Group commit at the journal level: deferred commits, one WAL sync that
// makes them durable, and no deferral at all with journal.sync: normal.
// Durability against power loss cannot be shown in a test; what can: the
// deferred commits are committed (a process that dies after them and after
// the sync finds them on reopen), and the mode returns to FULL afterwards.

#include <sys/wait.h>
#include <unistd.h>

#include "fault_vfs.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;

TEST_CASE("full: deferred commits become durable with one sync, then FULL again",
          "[journal][group]") {
    TempDir dir;
    {
        auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
        REQUIRE_OK(journal);
        journal->defer_syncs();
        CHECK(journal->syncs_deferred());
        REQUIRE_OK(journal->start_new(spec("a"), at(), at(1ms)));
        REQUIRE_OK(journal->start_new(spec("b"), at(), at(1ms)));
        REQUIRE_OK(journal->queue(spec("c"), at()));
        CHECK(journal->group_syncs() == 0);
        REQUIRE_OK(journal->sync_deferred());
        CHECK(journal->group_syncs() == 1);
        CHECK_FALSE(journal->syncs_deferred());
        REQUIRE_OK(journal->sync_deferred());  // nothing deferred: no sync
        CHECK(journal->group_syncs() == 1);
    }
    auto reopened = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(reopened);
    for (const char* id : {"a", "b", "c"}) {
        auto found = reopened->lookup(id);
        REQUIRE_OK(found);
        CHECK(found->has_value());
    }
}

TEST_CASE("full: commits of a process killed after the group sync survive", "[journal][group]") {
    TempDir dir;
    { REQUIRE_OK(j::Journal::open(dir.file("j.db"), j::SyncMode::full)); }
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
        if (!journal) ::_exit(2);
        journal->defer_syncs();
        if (!journal->start_new(spec("k"), at(), at(1ms))) ::_exit(3);
        if (!journal->sync_deferred()) ::_exit(4);
        ::_exit(0);  // no destructors: like kill -9 right after the sync
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    auto found = journal->lookup("k");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK((*found)->state == j::CommandState::running);
}

TEST_CASE("normal: defer_syncs does nothing (normal never syncs per commit)", "[journal][group]") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::normal);
    REQUIRE_OK(journal);
    journal->defer_syncs();
    CHECK_FALSE(journal->syncs_deferred());
    REQUIRE_OK(journal->start_new(spec("n"), at(), at(1ms)));
    REQUIRE_OK(journal->sync_deferred());
    CHECK(journal->group_syncs() == 0);
}

TEST_CASE("full: a result_ack mark flushed inside a batch keeps the batch deferred",
          "[journal][group]") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    REQUIRE_OK(journal->start_new(spec("m"), at(), at(1ms)));
    j::CommandResult done;
    done.state = j::CommandState::succeeded;
    done.exit_code = 0;
    done.finished_at = at(2ms);
    REQUIRE_OK(journal->finish("m", done));
    REQUIRE_OK(journal->mark_result_delivered("m", at(3ms)));
    journal->defer_syncs();
    REQUIRE_OK(journal->flush_delivery_marks());
    CHECK(journal->syncs_deferred());  // its relaxed sync did not switch FULL back on
    REQUIRE_OK(journal->sync_deferred());
    CHECK_FALSE(journal->syncs_deferred());
}

TEST_CASE("the group sync is one real sync of the write-ahead log, FULL commits sync each",
          "[journal][group]") {
    TempDir dir;
    FaultVfs& vfs = FaultVfs::install();
    auto journal = j::Journal::open(dir.file("j.db"), FaultVfs::full_sync_options());
    REQUIRE_OK(journal);
    int before = vfs.wal_syncs;
    REQUIRE_OK(journal->queue(spec("full-1"), at()));
    CHECK(vfs.wal_syncs == before + 1);

    journal->defer_syncs();
    before = vfs.wal_syncs;
    REQUIRE_OK(journal->queue(spec("g-1"), at()));
    REQUIRE_OK(journal->queue(spec("g-2"), at()));
    REQUIRE_OK(journal->queue(spec("g-3"), at()));
    CHECK(vfs.wal_syncs == before);  // deferred
    REQUIRE_OK(journal->sync_deferred());
    CHECK(vfs.wal_syncs == before + 1);

    // A failed sync is an error, and the connection is FULL again.
    journal->defer_syncs();
    REQUIRE_OK(journal->queue(spec("h-1"), at()));
    vfs.fail_next_wal_syncs = 1;
    CHECK_FALSE(journal->sync_deferred());
    CHECK_FALSE(journal->syncs_deferred());
    before = vfs.wal_syncs;
    REQUIRE_OK(journal->queue(spec("h-2"), at()));
    CHECK(vfs.wal_syncs == before + 1);
}
