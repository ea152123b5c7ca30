#pragma once
// Inside the journal only: a write that is not worth an fsync of its own
// even with journal.sync: full (result_ack marks, the outbox), because
// losing it to a power cut only means a message is sent once more.

#include "agent/journal/journal.hpp"
#include "agent/journal/sqlite.hpp"

namespace outpost::journal {

// Drops to synchronous=NORMAL for its lifetime (journal.sync: full only). In
// WAL mode a NORMAL commit skips the fsync; the next FULL commit makes it
// durable anyway.
class RelaxedSync {
  public:
    RelaxedSync(sqlite::Database& db, SyncMode mode)
        : db_(db), active_(mode == SyncMode::full && db.exec("PRAGMA synchronous=NORMAL")) {}
    RelaxedSync(const RelaxedSync&) = delete;
    RelaxedSync& operator=(const RelaxedSync&) = delete;
    ~RelaxedSync() {
        if (active_) (void)db_.exec("PRAGMA synchronous=FULL");
    }

  private:
    sqlite::Database& db_;
    bool active_;
};

}  // namespace outpost::journal
