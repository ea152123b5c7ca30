#pragma once
// The journal: the agent's durable memory (SQLite, one file, WAL). It is what
// makes "a command runs at most once per request_id" and "results at least
// once" true (protocol §4). Every mutating call is one transaction, durable
// per the sync mode when it returns, except mark_result_delivered, whose write
// is deferred (see there). Single-threaded use; see docs/journal.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/journal/command.hpp"
#include "agent/journal/mark_file.hpp"
#include "agent/journal/outbox.hpp"
#include "agent/journal/quick_check.hpp"
#include "agent/journal/sqlite.hpp"
#include "agent/journal/sync_mode.hpp"

namespace outpost::journal {

struct Options {
    SyncMode sync = SyncMode::full;
    OutboxLimits outbox{};
    std::chrono::milliseconds busy_timeout{5000};
    // SQLite VFS by name; empty: SQLite's default. Tests name one that
    // counts syncs and injects I/O errors on top of the real file system.
    std::string vfs = {};
    // protocol.max_message_bytes: a result's output is stored cut to what a
    // command_result of that size can carry (stored_output.hpp); 0 keeps it
    // whole.
    std::size_t max_message_bytes = 0;
};

// What recover_after_restart changed.
struct RecoveryReport {
    std::size_t running_interrupted = 0;
    std::size_t queued_interrupted = 0;
    std::size_t approvals_expired = 0;
};

// Answer to a result_ack.
enum class DeliveryMark { marked, already_delivered, unknown_request, not_finished };

// Delivery marks held in memory, waiting for a write transaction; when this
// many are pending they are written at once, so the list stays bounded.
inline constexpr std::size_t kMaxPendingDeliveryMarks = 64;

// `state` keys of applied config_update request_ids ("config_update:<id>").
inline constexpr std::string_view kConfigUpdateKeyPrefix = "config_update:";

inline constexpr std::string_view kReasonRestartedWhileRunning =
    "agent restarted while the command was running";
inline constexpr std::string_view kReasonRestartedBeforeStart =
    "agent restarted before the command started; it was not run";
inline constexpr std::string_view kReasonApprovalExpired =
    "approval not received before the deadline";

class Journal {
  public:
    // Creates the file (0600) if missing; refuses a journal that group/others
    // can access, a corrupt one, one written by a newer agent, or one that
    // went backwards (behind its mark file, journal_mark.cpp: kind journal).
    // Never deletes or overwrites an existing file it refuses.
    [[nodiscard]] static Expected<Journal> open(const std::filesystem::path& path,
                                                const Options& options);
    [[nodiscard]] static Expected<Journal> open(const std::filesystem::path& path, SyncMode sync) {
        Options options;
        options.sync = sync;
        return open(path, options);
    }

    // A moved-from journal has no pending delivery marks, so its destructor
    // does nothing. No move assignment: it would have to drop or write the
    // target's pending marks, and nothing needs it.
    Journal(Journal&&) noexcept = default;
    Journal& operator=(Journal&&) = delete;
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;
    // Tries to write the pending delivery marks; one it cannot write is lost
    // like one pending at a kill -9 (the result is re-sent once).
    ~Journal();

    // An operator's acceptance that the journal went backwards (`outpost
    // journal accept-reset`, with the agent stopped): opens it without
    // comparing its mark, gives it a new epoch, and rewrites the mark file.
    // Every other refusal of open() still applies. Returns the new mark.
    [[nodiscard]] static Expected<JournalMark> accept_reset(const std::filesystem::path& path,
                                                            const Options& options);

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] int schema_version() const { return schema_version_; }

    // ---- how far the journal has come (journal_mark.cpp) ----
    // The journal's epoch (a UUID, new with each new journal and each
    // accept-reset: the memory of request_ids starts over with it) and its
    // generation, committed but perhaps not yet durable.
    [[nodiscard]] const JournalMark& mark() const { return mark_; }
    // The fdatasync of a batch handed off with hand_off_deferred_sync()
    // succeeded: its commits are durable, so the mark file may say so.
    void confirm_handed_off_sync();

    // ---- commands (commands.cpp) ----
    [[nodiscard]] Expected<std::optional<CommandRecord>> lookup(std::string_view request_id);
    // A command refused by policy, journaled together with its result.
    [[nodiscard]] Expected<void> insert_rejected(const CommandSpec& spec, TimePoint received_at,
                                                 const CommandResult& result);
    // requires_approval: held until execute_approved, cancel or the deadline.
    [[nodiscard]] Expected<void> hold_for_approval(const CommandSpec& spec, TimePoint received_at);
    [[nodiscard]] Expected<void> queue(const CommandSpec& spec, TimePoint received_at);
    // A new command that can start at once: journaled directly as `running`
    // in one durable commit (the at-most-once point, like mark_running).
    [[nodiscard]] Expected<void> start_new(const CommandSpec& spec, TimePoint received_at,
                                           TimePoint started_at);
    // execute_approved while every slot is busy: awaiting_approval → queued,
    // durable before the approval is acknowledged, so the row no longer
    // expires, a second approval is answered from it, and a restart turns it
    // into `interrupted` like any queued command.
    [[nodiscard]] Expected<void> approve(std::string_view request_id);
    // The at-most-once point: durable when it returns; only from queued or
    // awaiting_approval, so a second call for the same id fails.
    [[nodiscard]] Expected<void> mark_running(std::string_view request_id, TimePoint started_at);
    // Only from a non-terminal state along a legal transition; the first
    // result wins. Erases the command's env and stdin.
    [[nodiscard]] Expected<void> finish(std::string_view request_id, const CommandResult& result);
    // A result_ack. The answer is decided at once from the stored row and the
    // pending marks (a second ack while the first is pending is
    // already_delivered), but `marked` only records the mark in memory: the
    // UPDATE rides in the next write transaction (any command or outbox write,
    // prune, flush_delivery_marks, the destructor), or is written at once when
    // kMaxPendingDeliveryMarks are pending. Every read of delivery (lookup,
    // undelivered_results, backlog_results, prune) sees pending marks. A mark
    // lost to a kill -9 or power cut only means the result is re-sent once,
    // which the server deduplicates (§4); at-most-once never depends on it.
    [[nodiscard]] Expected<DeliveryMark> mark_result_delivered(std::string_view request_id,
                                                               TimePoint now);
    // Writes the pending delivery marks in a transaction of their own, not
    // synced even with sync: full (see mark_result_delivered). Nothing when
    // none is pending. For periodic maintenance and shutdown.
    [[nodiscard]] Expected<void> flush_delivery_marks();
    [[nodiscard]] std::size_t pending_delivery_marks() const { return pending_marks_.size(); }

    // Group commit (journal.sync: full; nothing in normal mode). Commits made
    // after defer_syncs() are not synced one by one; sync_deferred() makes
    // every one of them durable with one fdatasync of the WAL and returns to
    // syncing each commit. Until it returns, nothing that depends on those
    // commits (a process start, a result sent) may happen: the dispatcher
    // holds such effects back (docs/journal.md, "Group commit").
    void defer_syncs();
    [[nodiscard]] Expected<void> sync_deferred();
    // The same, with the fdatasync left to the caller (a WalSyncThread, off
    // the loop): returns to syncing each commit and says whether commits
    // were deferred, i.e. whether the caller must sync the WAL before
    // anything depends on them. The caller owns the sync's outcome.
    [[nodiscard]] bool hand_off_deferred_sync();
    // Commits sync themselves again for a while (a synced batch's effects
    // write while the next batch is open); true when they were deferred, and
    // the caller defers them again afterwards. Commits already deferred
    // still wait for their batch's sync.
    [[nodiscard]] bool pause_deferred_syncs();
    [[nodiscard]] bool syncs_deferred() const { return syncs_deferred_; }
    // How many group syncs were made or handed off (tests, the benchmark).
    [[nodiscard]] std::uint64_t group_syncs() const { return group_syncs_; }
    // Finished commands whose result_ack has not arrived, oldest result first.
    // Leaves out the ones with a pending delivery mark (a result whose ack
    // arrived is never re-sent), without writing: it also works on a journal
    // that cannot write. Up to `limit` rows are read before that filter.
    [[nodiscard]] Expected<std::vector<CommandRecord>> undelivered_results(
        std::size_t limit = std::numeric_limits<std::size_t>::max());
    // At start-up, before any message is handled: running and queued →
    // interrupted (never re-run), expired approvals → rejected. A running
    // one gets `running_reason` (the caller adds what became of its processes).
    [[nodiscard]] Expected<RecoveryReport> recover_after_restart(
        TimePoint now, std::string_view running_reason = kReasonRestartedWhileRunning);
    // Held commands past their approval deadline → rejected; returns their ids.
    [[nodiscard]] Expected<std::vector<std::string>> expire_held(TimePoint now);
    // The earliest approval deadline of a held command; nullopt when none is
    // held. Read-only (the loop arms a timer for it).
    [[nodiscard]] Expected<std::optional<TimePoint>> next_approval_deadline();
    // Deletes finished commands whose result was delivered (pending marks
    // included: they are written in the same transaction) and that finished
    // before now - retention, and config_update request_ids older than that.
    // Never touches an undelivered result. Returns how many commands went.
    [[nodiscard]] Expected<std::size_t> prune(std::chrono::milliseconds retention, TimePoint now);
    // How many results await their ack; writes pending delivery marks first.
    [[nodiscard]] Expected<std::size_t> backlog_results();
    // The same count without writing anything (pending marks subtracted):
    // for `outpost status` and health, which must not write.
    [[nodiscard]] Expected<std::size_t> results_awaiting_ack();
    [[nodiscard]] Expected<std::size_t> count(CommandState state);
    [[nodiscard]] Expected<std::size_t> running_count() { return count(CommandState::running); }

    // ---- outbox (outbox.cpp) ----
    [[nodiscard]] Expected<EnqueueReport> enqueue(OutboxKind kind, std::string_view payload_json,
                                                  TimePoint now);
    // The oldest `n` messages with an id above `after_id`. Outbox writes are
    // never synced on their own, even with sync: full (relaxed_sync.hpp).
    [[nodiscard]] Expected<std::vector<OutboxMessage>> peek(std::size_t n,
                                                            std::int64_t after_id = 0);
    // Removes sent messages; ids already gone are ignored. Returns how many went.
    [[nodiscard]] Expected<std::size_t> remove(std::span<const std::int64_t> ids);
    // Removes every message with an id up to `last_id` (a confirmed flush).
    [[nodiscard]] Expected<std::size_t> remove_through(std::int64_t last_id);
    [[nodiscard]] Expected<std::size_t> size();
    [[nodiscard]] Expected<std::uint64_t> bytes();
    // The persistent drop counters: running totals since the journal was
    // created, never reset (agent.outbox.dropped, protocol.md §3.4).
    [[nodiscard]] Expected<OutboxDropped> dropped_count();

    // ---- health (quick_check.cpp) ----
    // SQLite's quick_check of the file through this connection, interrupted
    // after `limit` (ErrorKind::timed_out). A complaint is a QuickCheck with
    // ok == false. Read-only.
    [[nodiscard]] Expected<QuickCheck> quick_check(std::chrono::milliseconds limit);

    // ---- config_update (config_updates.cpp) ----
    // A config_update is applied at most once per request_id: its request_id
    // is kept (in `state`, key "config_update:<id>") in the same transaction
    // that stores the runtime overrides it produced, so a redelivery is
    // answered from here and no crash can separate the two. Kept for
    // journal.retention (prune).
    [[nodiscard]] Expected<void> apply_config_update(std::string_view request_id,
                                                     TimePoint received_at,
                                                     std::string_view overrides_key,
                                                     std::string_view overrides);
    // When the request_id was applied; nullopt when it never was.
    [[nodiscard]] Expected<std::optional<TimePoint>> config_update_applied(
        std::string_view request_id);

    // ---- durable agent state (state.cpp) ----
    // Telemetry seq: 1 for the first sample ever, then one more per call,
    // across restarts; never below `at_least` (the pipeline's own count,
    // which went on while writes failed: the counter catches up to it in
    // the same statement, so a seq is never reused).
    [[nodiscard]] Expected<std::uint64_t> next_telemetry_seq(std::uint64_t at_least = 1);
    // The last telemetry seq handed out; 0 when none. A read: it works when
    // writes are refused (a full disk).
    [[nodiscard]] Expected<std::uint64_t> telemetry_seq();
    [[nodiscard]] Expected<std::optional<std::string>> get(std::string_view key);
    [[nodiscard]] Expected<void> put(std::string_view key, std::string_view text);
    [[nodiscard]] Expected<bool> erase(std::string_view key);

  private:
    struct PendingMark {
        std::string request_id;
        std::int64_t delivered_at_ms = 0;
    };

    // A write transaction that carries the pending delivery marks: they are
    // written right after BEGIN and leave the pending list only once it
    // commits, so a rolled-back write keeps them pending.
    class WriteTransaction {
      public:
        [[nodiscard]] Expected<void> commit();

      private:
        friend class Journal;
        WriteTransaction(sqlite::Transaction tx, Journal& journal, std::size_t marks,
                         bool advances_generation)
            : tx_(std::move(tx)),
              journal_(&journal),
              marks_(marks),
              advances_generation_(advances_generation) {}
        sqlite::Transaction tx_;
        Journal* journal_;
        std::size_t marks_;  // how many of the pending marks it wrote
        bool advances_generation_;
    };

    // How Journal::open treats the mark: compare it (refusing a journal
    // that went backwards), or start a new epoch (accept_reset).
    enum class MarkCheck { compare, start_new_epoch };
    [[nodiscard]] static Expected<Journal> open_with(const std::filesystem::path& path,
                                                     const Options& options, MarkCheck check);

    Journal(sqlite::Database db, std::filesystem::path path, const Options& options,
            int schema_version)
        : db_(std::move(db)),
          path_(std::move(path)),
          options_(options),
          schema_version_(schema_version) {}

    [[nodiscard]] Error wrap(const Error& error, std::string_view operation) const;
    [[nodiscard]] Expected<void> insert_command(const CommandSpec& spec, CommandState state,
                                                TimePoint received_at,
                                                std::optional<TimePoint> approval_deadline,
                                                const CommandResult* result,
                                                std::optional<TimePoint> started_at = std::nullopt);
    [[nodiscard]] Expected<std::size_t> expire_held_locked(TimePoint now,
                                                           std::vector<std::string>* ids);
    // Every write transaction of the commands and the outbox begins here
    // (delivery_marks.cpp); the state's one-statement writes do not.
    [[nodiscard]] Expected<WriteTransaction> begin_write();
    [[nodiscard]] Expected<void> write_pending_marks();
    [[nodiscard]] const PendingMark* find_pending_mark(std::string_view request_id) const;
    // journal_mark.cpp: sets up mark_ and the mark file once the schema is
    // current (db_mark: what the file held before migrations).
    [[nodiscard]] Expected<void> establish_mark(const std::optional<JournalMark>& db_mark,
                                                const std::optional<JournalMark>& file_mark,
                                                MarkCheck check);
    // In a write transaction: the first write since the mark file caught up
    // with the generation advances it (one UPDATE); false when not due.
    [[nodiscard]] Expected<bool> advance_generation_if_due();
    // After a commit: a commit synced by itself makes every commit so far
    // durable, so the mark file may record the generation.
    void after_commit();
    // Writes generation `g` of this epoch into the mark file, if newer.
    void mirror_mark(std::uint64_t g);
    // Maintenance: with journal.sync: normal, syncs the WAL so the mark may
    // follow; then fdatasyncs the mark file.
    void settle_mark();

    sqlite::Database db_;
    std::filesystem::path path_;
    bool syncs_deferred_ = false;
    std::uint64_t group_syncs_ = 0;
    Options options_;
    int schema_version_ = 0;
    std::vector<PendingMark> pending_marks_;  // acks not written yet, oldest first

    JournalMark mark_;              // epoch and committed generation
    std::uint64_t mirrored_ = 0;    // generation the mark file holds
    std::uint64_t handed_off_ = 0;  // generation committed when a batch was handed off
    bool relaxed_commit_ = false;   // a RelaxedSync is active (relaxed_sync.hpp)
    std::optional<MarkWriter> mark_writer_;
};

}  // namespace outpost::journal
