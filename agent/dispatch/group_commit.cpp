#include "agent/dispatch/group_commit.hpp"

#include "agent/log/log.hpp"

namespace outpost::dispatch {
namespace {

constexpr std::string_view kLog = "dispatch";

}  // namespace

GroupCommit::GroupCommit(journal::Journal* journal, OnFailed on_failed)
    : journal_(journal), on_failed_(std::move(on_failed)) {}

void GroupCommit::enable(Schedule schedule, journal::WalSyncThread* sync_thread,
                         std::chrono::milliseconds slow_sync, unsigned fast_syncs_to_return) {
    schedule_ = std::move(schedule);
    sync_thread_ = sync_thread;
    slow_sync_ = slow_sync;
    fast_syncs_to_return_ = fast_syncs_to_return;
    syncs_off_loop_ = sync_thread != nullptr && slow_sync.count() == 0;
}

void GroupCommit::before_write() {
    // Writes made by a synced batch's effects (a failed start's result, the
    // queued command a freed slot starts) sync themselves (run_effects): rare,
    // and then no message of the synced batch ever leaves while newer
    // commits wait.
    if (!schedule_ || !journal_ || batch_open_ || running_effects_) return;
    journal_->defer_syncs();
    if (!journal_->syncs_deferred()) return;  // normal mode, or FULL kept: nothing to batch
    batch_open_ = true;
    schedule_([this] { on_flush_due(); });
}

void GroupCommit::after_durable(Effect effect) {
    // Behind an open batch, and behind one whose sync is in flight, so that
    // messages keep their order; a synced batch's effects run at once.
    if (running_effects_ || (!batch_open_ && !sync_in_flight_)) {
        effect();
        return;
    }
    effects_.push_back(std::move(effect));
}

void GroupCommit::on_flush_due() {
    if (!batch_open_) return;  // already handed to the sync thread (on_thread_synced)
    if (!syncs_off_loop_) {
        flush();
        return;
    }
    // One sync at a time: the batch follows when the one in flight ends.
    if (!sync_in_flight_) start_thread_sync();
}

void GroupCommit::start_thread_sync() {
    // Every commit of the batch was written before begin(), so the thread's
    // fdatasync covers them; later commits open the next batch.
    batch_open_ = false;
    (void)journal_->hand_off_deferred_sync();  // later writes sync themselves until then
    require_each_commit_synced();
    in_flight_effects_ = std::move(effects_);
    effects_.clear();
    sync_in_flight_ = true;
    sync_thread_->begin([this](Expected<void> synced) { on_thread_synced(std::move(synced)); });
}

void GroupCommit::on_thread_synced(Expected<void> synced) {
    sync_in_flight_ = false;
    if (synced) journal_->confirm_handed_off_sync();  // the journal's mark may follow
    note_thread_sync_time(sync_thread_->last_sync_took());
    std::vector<Effect> effects = std::move(in_flight_effects_);
    in_flight_effects_.clear();
    finish_batch(std::move(effects), synced);
    if (batch_open_) {
        // Its commits need not wait for the next loop pass (whose flush
        // may already have found this sync in flight and gone).
        if (syncs_off_loop_) {
            start_thread_sync();
        } else {
            flush();
        }
    } else if (!effects_.empty()) {
        // Queued behind the sync that just ended, with no commit of their own.
        std::vector<Effect> waiting = std::move(effects_);
        effects_.clear();
        run_effects(std::move(waiting));
    }
}

void GroupCommit::flush() {
    // Blocks the loop for the sync in flight and the open batch's: only
    // the rare messages and maintenance need every batch durable now.
    while (batch_open_ || sync_in_flight_) {
        if (sync_in_flight_) {
            sync_thread_->wait();  // runs on_thread_synced, which may start the next
        } else if (syncs_off_loop_) {
            start_thread_sync();
        } else {
            sync_on_loop();
        }
    }
}

void GroupCommit::sync_on_loop() {
    batch_open_ = false;
    const auto began = std::chrono::steady_clock::now();
    const Expected<void> synced = journal_->sync_deferred();
    note_sync_time(std::chrono::steady_clock::now() - began);
    require_each_commit_synced();
    std::vector<Effect> effects = std::move(effects_);
    effects_.clear();
    finish_batch(std::move(effects), synced);
}

void GroupCommit::close() {
    schedule_ = nullptr;  // later writes (completions while draining) sync themselves
    if (!batch_open_ && !sync_in_flight_) return;
    // The batch is made durable and its effects run, muted: the offline
    // status has gone out, so its acks are answered from the journal and its
    // results re-sent after the next welcome.
    muted_ = true;
    flush();
    muted_ = false;
}

void GroupCommit::note_sync_time(std::chrono::steady_clock::duration took) {
    if (on_sync_timed_) on_sync_timed_(took);
    // On this machine's VM a hand-off to the thread costs ~0.1 ms of CPU and
    // ~0.2 ms of latency per command (two cross-CPU wake-ups), more than a
    // good disk's whole sync; so the loop syncs until the disk shows it is
    // slow, and the thread does it from then on, until the disk is fast
    // again (note_thread_sync_time).
    if (syncs_off_loop_ || !sync_thread_ || took < slow_sync_) return;
    syncs_off_loop_ = true;
    fast_thread_syncs_ = 0;
    log::warn(kLog,
              "a journal sync took {} ms; journal syncs now run on their own thread so that a "
              "slow disk does not stall the connection",
              std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
}

void GroupCommit::note_thread_sync_time(std::chrono::steady_clock::duration took) {
    if (on_sync_timed_) on_sync_timed_(took);
    // A disk with an occasional slow sync (this VM's shows 12–140 ms ones
    // every few thousand) should not pay the hand-off for the rest of the
    // run: once the thread has seen enough fast syncs in a row, the loop
    // syncs again. A disk that stays slow keeps them on the thread.
    if (!syncs_off_loop_ || slow_sync_.count() == 0) return;
    fast_thread_syncs_ = took < slow_sync_ / 2 ? fast_thread_syncs_ + 1 : 0;
    if (fast_thread_syncs_ < fast_syncs_to_return_) return;
    fast_thread_syncs_ = 0;
    syncs_off_loop_ = false;
    log::info(kLog, "{} journal syncs in a row took under {} ms; the event loop makes them again",
              fast_syncs_to_return_, (slow_sync_ / 2).count());
}

void GroupCommit::finish_batch(std::vector<Effect> effects, const Expected<void>& synced) {
    if (!synced) {
        // The commits are in the WAL but not known to be on disk, and after
        // a failed fdatasync Linux may have dropped the data while SQLite
        // counts it committed, so later syncs prove nothing either. The
        // owner starts no process from now on, though messages still go
        // out, until a restart (PostgreSQL panics on a failed fsync for the
        // same reason).
        log::error(kLog,
                   "journal sync failed; starting nothing from this batch and refusing new "
                   "commands until the agent restarts: {}",
                   synced.error().message());
        report_failure("a journal sync failed (" + synced.error().message() +
                       "); no command runs until the agent restarts");
    }
    run_effects(std::move(effects));
}

void GroupCommit::require_each_commit_synced() {
    // Switching SQLite back to synchronous=FULL is a PRAGMA that does no
    // I/O and should never fail; if it did, commits that nothing batches
    // would go unsynced while their effects follow at once. Treated like a
    // failed sync.
    if (!journal_ || !journal_->syncs_deferred() || failed_) return;
    log::error(kLog,
               "the journal could not return to syncing each commit; no command runs "
               "until the agent restarts");
    report_failure(
        "the journal could not return to syncing each commit "
        "(PRAGMA synchronous=FULL failed); no command runs until the agent restarts");
}

void GroupCommit::report_failure(std::string why) {
    failed_ = true;
    if (on_failed_) on_failed_(std::move(why));
}

void GroupCommit::run_effects(std::vector<Effect> effects) {
    // With the next batch open (its sync waits for this one), the journal
    // defers syncs; the effects' own writes must not, since what follows
    // them runs at once.
    const bool next_batch_deferred = journal_ && journal_->pause_deferred_syncs();
    require_each_commit_synced();
    running_effects_ = true;
    for (auto& effect : effects) effect();
    running_effects_ = false;
    if (next_batch_deferred) journal_->defer_syncs();
}

}  // namespace outpost::dispatch
