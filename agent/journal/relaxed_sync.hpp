#pragma once
// Inside the journal only: a write that is not worth an fsync of its own
// even with journal.sync: full (result_ack marks, the outbox), because
// losing it to a power cut only means a message is sent once more.

#include "agent/journal/journal.hpp"
#include "agent/journal/sqlite.hpp"

namespace outpost::journal {

// Drops to synchronous=NORMAL for its lifetime (journal.sync: full, while
// syncs are not already deferred by a group commit, whose sync then covers
// the write). In WAL mode a NORMAL commit skips the fsync; the next FULL
// commit makes it durable anyway.
//
// If FULL cannot be set again, the connection is left at NORMAL, so the
// journal is marked as deferring syncs (`syncs_deferred`): the next group
// sync covers what follows, and the dispatcher, which checks that flag
// before anything acts on a commit (require_each_commit_synced), treats it
// as a failed sync rather than start a process behind an unsynced `running`.
class RelaxedSync {
  public:
    // `relaxed` is true while it is active: the journal's mark (journal_mark.cpp)
    // must not count a commit made under it as durable.
    RelaxedSync(sqlite::Database& db, SyncMode mode, bool& syncs_deferred, bool& relaxed)
        : db_(db),
          syncs_deferred_(syncs_deferred),
          relaxed_(relaxed),
          active_(mode == SyncMode::full && !syncs_deferred &&
                  db.exec("PRAGMA synchronous=NORMAL")) {
        relaxed_ = active_;
    }
    RelaxedSync(const RelaxedSync&) = delete;
    RelaxedSync& operator=(const RelaxedSync&) = delete;
    ~RelaxedSync() {
        relaxed_ = false;
        if (active_ && !db_.exec("PRAGMA synchronous=FULL")) syncs_deferred_ = true;
    }

  private:
    sqlite::Database& db_;
    bool& syncs_deferred_;
    bool& relaxed_;
    bool active_;
};

}  // namespace outpost::journal
