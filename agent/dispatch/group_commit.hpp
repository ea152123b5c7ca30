#pragma once
// Group commit (journal.sync: full, docs/journal.md): journal writes made
// while handling the events of one loop pass are synced once, by a flush the
// owner's `schedule` runs at the start of the next pass, and every effect
// that depends on them (acks, results, process starts) waits for that sync,
// in order. It knows journals, syncs and effects, nothing of commands.
//
// Without a sync thread, the loop makes each batch's sync itself. With one,
// it does so until a sync takes `slow_sync` or longer (zero: the thread from
// the start, for good); from then on the batch's fdatasync runs on the
// thread and the loop goes on meanwhile, commits made during it forming the
// next batch, synced when it ends, until `fast_syncs_to_return` syncs in a
// row on the thread took less than half of `slow_sync`, when the loop syncs
// again. The thread must outlive the last close().
//
// Off (never enabled, or after close()): every write syncs itself and
// effects run at once.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/wal_sync_thread.hpp"

namespace outpost::dispatch {

class GroupCommit {
  public:
    using Effect = std::function<void()>;
    using Schedule = std::function<void(std::function<void()>)>;
    // The journal can no longer be trusted (a failed sync, or it could not
    // return to syncing each commit): `why` is the text for people. Called
    // before the effects of the failed batch run.
    using OnFailed = std::function<void(std::string why)>;

    // `journal` may be null (no journal): then there is never a batch.
    GroupCommit(journal::Journal* journal, OnFailed on_failed);
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    // Each journal sync's duration (the metrics' histogram), always called on
    // the loop: a sync on the sync thread is delivered to the loop first
    // (wal_sync_thread.hpp). The histogram has no lock; keep it so. May be
    // empty.
    void on_sync_timed(std::function<void(std::chrono::steady_clock::duration)> observer) {
        on_sync_timed_ = std::move(observer);
    }
    // The ack latency (message received → command_ack sent), for the
    // metrics: the dispatcher marks the message it is handling; an ack
    // queued meanwhile carries that time through the batch to its send.
    void on_ack_sent(std::function<void(std::chrono::steady_clock::duration)> observer) {
        on_ack_sent_ = std::move(observer);
    }
    void mark_message(std::optional<std::chrono::steady_clock::time_point> received) {
        message_received_ = received;
    }
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> message_received() const {
        return on_ack_sent_ ? message_received_ : std::nullopt;
    }
    void note_ack_sent(std::chrono::steady_clock::time_point received) {
        if (on_ack_sent_) on_ack_sent_(std::chrono::steady_clock::now() - received);
    }

    void enable(Schedule schedule, journal::WalSyncThread* sync_thread,
                std::chrono::milliseconds slow_sync, unsigned fast_syncs_to_return);

    // Before a journal write whose effects must wait for it to be durable:
    // opens a batch (journal syncs deferred, a flush scheduled) if none is.
    void before_write();
    // Runs `effect` at once when nothing waits for a sync, else queues it
    // behind the open batch or the sync in flight, so effects keep their order.
    void after_durable(Effect effect);
    // Every batch now: waits for the sync in flight, syncs the open batch,
    // and runs their effects. Writes those effects make sync themselves, so
    // afterwards nothing waits.
    void flush();
    // At shutdown: group commit off (later writes sync themselves), the
    // batch made durable and its effects run, muted (see muted()).
    void close();

    // Inside close(): effects that send a message must send nothing.
    [[nodiscard]] bool muted() const { return muted_; }
    // Whether batches are synced on the sync thread now (for status, tests).
    [[nodiscard]] bool syncs_off_loop() const { return syncs_off_loop_; }

  private:
    // The open batch's scheduled flush; with a sync thread, it hands the
    // batch over (start_thread_sync) unless a sync is in flight.
    void on_flush_due();
    void start_thread_sync();
    void on_thread_synced(Expected<void> synced);
    void sync_on_loop();
    // A batch's sync ended: a failure is reported; then its effects run.
    void finish_batch(std::vector<Effect> effects, const Expected<void>& synced);
    void run_effects(std::vector<Effect> effects);
    // An inline sync's duration: a slow one moves syncs to the thread.
    void note_sync_time(std::chrono::steady_clock::duration took);
    // A thread sync's duration: enough fast ones in a row bring them back.
    void note_thread_sync_time(std::chrono::steady_clock::duration took);
    // After returning the journal to syncing each commit: if that failed,
    // the journal counts as failed (as after a failed sync).
    void require_each_commit_synced();
    void report_failure(std::string why);

    journal::Journal* journal_;
    OnFailed on_failed_;
    std::function<void(std::chrono::steady_clock::duration)> on_sync_timed_;
    std::function<void(std::chrono::steady_clock::duration)> on_ack_sent_;
    std::optional<std::chrono::steady_clock::time_point> message_received_;
    Schedule schedule_;                              // set: group commit on
    journal::WalSyncThread* sync_thread_ = nullptr;  // set: batches may sync off the loop
    std::chrono::milliseconds slow_sync_{0};
    unsigned fast_syncs_to_return_ = 256;
    unsigned fast_thread_syncs_ = 0;         // in a row, while syncs_off_loop_
    bool syncs_off_loop_ = false;            // batches go to sync_thread_ (after a slow sync)
    bool batch_open_ = false;                // deferred commits, a flush scheduled
    bool sync_in_flight_ = false;            // a batch's sync runs on sync_thread_
    bool running_effects_ = false;           // inside run_effects()
    bool muted_ = false;                     // inside close()
    bool failed_ = false;                    // a failure was reported: the journal is not trusted
    std::vector<Effect> effects_;            // waiting for the open batch's sync
    std::vector<Effect> in_flight_effects_;  // waiting for the sync in flight
};

}  // namespace outpost::dispatch
