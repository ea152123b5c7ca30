// Journal: group commit for journal.sync: full.
//
// With synchronous=FULL every commit ends with an fdatasync of the WAL
// (~0.15 ms on the CI disk), and the event loop waits for it. Commands that
// arrive or finish in the same loop pass can share one: their commits are
// made with synchronous=NORMAL (in WAL mode: appended to the WAL, not
// synced), then one fdatasync of the WAL makes all of them durable at once.
// That is exactly what the FULL commits would have left on disk, as long as
// nothing acts on a commit before the sync — which the dispatcher ensures.

#include "agent/journal/journal.hpp"

namespace outpost::journal {

void Journal::defer_syncs() {
    if (options_.sync != SyncMode::full || syncs_deferred_) return;
    // If this fails the connection stays FULL: slower, never less durable.
    syncs_deferred_ = db_.exec("PRAGMA synchronous=NORMAL").has_value();
}

Expected<void> Journal::sync_deferred() {
    if (!syncs_deferred_) return {};
    auto synced = db_.sync_wal();
    // Back to FULL either way: a failed sync must not leave later commits
    // unsynced too.
    syncs_deferred_ = !db_.exec("PRAGMA synchronous=FULL").has_value();
    if (!synced) return std::unexpected(wrap(synced.error(), "group commit"));
    ++group_syncs_;
    mirror_mark(mark_.generation);
    return {};
}

bool Journal::hand_off_deferred_sync() {
    if (!pause_deferred_syncs()) return false;
    ++group_syncs_;
    // The caller's fdatasync covers every commit made until now.
    handed_off_ = mark_.generation;
    return true;
}

void Journal::confirm_handed_off_sync() {
    mirror_mark(handed_off_);
}

bool Journal::pause_deferred_syncs() {
    if (!syncs_deferred_) return false;
    // As in sync_deferred(): if FULL cannot be set again, later commits stay
    // deferred, and the next group sync covers them.
    syncs_deferred_ = !db_.exec("PRAGMA synchronous=FULL").has_value();
    return true;
}

}  // namespace outpost::journal
