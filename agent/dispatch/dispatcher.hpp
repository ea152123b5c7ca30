#pragma once
// Validated server messages → handlers (protocol.md §3.3, §3.6): commands
// with at-most-once execution through the journal, cancel, approval,
// result delivery, health checks.
//
// The at-most-once point: a command is journaled `running` (durably) before
// its process starts, and a request_id found in the journal is never run
// again — it is answered from the journal.

#include <chrono>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/auth/secret_key.hpp"
#include "agent/dispatch/command_policy.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/wal_sync_thread.hpp"
#include "agent/protocol/inbound_messages.hpp"
#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "executors/runner/runner.hpp"

namespace outpost::dispatch {

// config_update (protocol.md §3.3): validates, persists and applies the
// `config` object (minified JSON, shaped like the config file); the error is
// the reason sent back, and then nothing changed. It persists the overrides
// and the request_id in one transaction (Journal::apply_config_update), so
// that a redelivery is never applied twice.
using ConfigUpdateHandler = std::function<std::expected<void, std::string>(
    std::string_view request_id, std::string_view config_json)>;

struct DispatcherSettings {
    std::string node_id;
    std::size_t max_message_bytes = 1024 * 1024;
    std::size_t max_concurrent = 4;
    std::optional<auth::PublicKey> command_public_key;  // signed commands required when set
    // journal.retention: a signed command's exp may not lie further ahead
    // (less the clock skew), or a replay after the journal forgot its
    // request_id could run it again.
    std::chrono::milliseconds journal_retention = std::chrono::hours(24 * 7);
    std::string state_dir;                              // for the disk health check
    ConfigUpdateHandler on_config_update{};  // empty: config_update rejected as not supported
    // Each `error` reply the dispatcher sends (by §3.5 code): protocol.md §3
    // counts every invalid message, not only those the parser refuses.
    std::function<void(std::string_view code)> on_invalid{};
    // A command was held for approval: the owner re-arms its expiry timer
    // (next_approval_deadline may now be earlier).
    std::function<void()> on_held{};
    // The journal failed while running (a failed sync): no command runs
    // until a restart. The owner tells the server (status degraded).
    std::function<void()> on_journal_failed{};
    // The reason of the commands a restart interrupted while running: what
    // became of their processes (executors::reap_leftover_runs). Empty:
    // journal::kReasonRestartedWhileRunning.
    std::string restart_reason{};
};

class Dispatcher {
public:
    // Sends one message; false when it could not go out now (offline). Results
    // that could not be sent stay undelivered in the journal and are re-sent
    // after the next welcome.
    using Sender = std::function<bool(protocol::outbound::Body)>;
    using WallClock = std::function<std::chrono::system_clock::time_point()>;

    // `journal` is null when it could not be opened: then every command is
    // rejected with `journal_error` and health reports database: fail.
    Dispatcher(DispatcherSettings settings, journal::Journal* journal, std::string journal_error,
               CommandPolicy policy, executors::Runner& runner, Sender send, WallClock clock);

    // At start-up, before connecting: `running`/`queued` rows become
    // `interrupted` (never started again) and their results await delivery.
    void recover();
    // After each welcome: every stored result without result_ack, oldest first.
    void resend_undelivered();
    // Periodically: pending result_ack marks, held commands past their
    // deadline, journal retention.
    void maintain(std::chrono::milliseconds retention);

    void handle(const protocol::InboundMessage& message);

    // Group commit (journal.sync: full, docs/journal.md). Journal writes made
    // while handling the events of one loop pass are synced once, by a flush
    // `schedule` runs at the start of the next pass, and every effect that
    // depends on them — acks, results, process starts — waits for that sync,
    // in order. Messages other than execute/deploy/update_agent/result_ack
    // flush first, so they see no half-done batch. Off (the default): every
    // write syncs itself and effects happen at once.
    //
    // Without a `sync_thread`, the loop makes each batch's sync itself.
    // With one, it does so until a sync takes `slow_sync` or longer (zero:
    // the thread from the start, for good); from then on the batch's
    // fdatasync runs on the thread and the loop goes on meanwhile, commits
    // made during it forming the next batch, synced when it ends — until
    // `fast_syncs_to_return` syncs in a row on the thread took less than
    // half of `slow_sync`, when the loop syncs again. The thread must
    // outlive the dispatcher's last close_batch().
    using Schedule = std::function<void(std::function<void()>)>;
    void enable_group_commit(Schedule schedule, journal::WalSyncThread* sync_thread = nullptr,
                             std::chrono::milliseconds slow_sync = std::chrono::milliseconds(0),
                             unsigned fast_syncs_to_return = 256);
    // Whether batches are synced on the sync thread now (for status, tests).
    [[nodiscard]] bool syncs_off_loop() const { return syncs_off_loop_; }
    // Every batch now: waits for the sync in flight, syncs the open batch,
    // and runs their effects. Writes those effects make (a failed start
    // finishes its command, a freed slot starts the next queued one) sync
    // themselves, so afterwards nothing waits.
    void flush_durable();
    // At shutdown: makes the batch durable, turns group commit off and
    // starts nothing more (queued commands stay queued and are `interrupted`
    // at the next start, never run). The batch's messages are not sent: an
    // unsent result is re-sent after the next welcome, an unsent ack is
    // answered from the journal when the server sends the execute again. A
    // command of the batch whose process had not started is finished as
    // `failed` ("not started: the agent was stopping").
    void close_batch();

    // Held commands past their approval deadline become `rejected` and their
    // results are sent (also part of maintain()).
    void expire_approvals();
    // When the next held command expires; nullopt: none is held.
    [[nodiscard]] std::optional<journal::TimePoint> next_approval_deadline();

    [[nodiscard]] std::uint64_t backlog_results() const;

    // For `outpost status`; reads the journal, never writes it.
    struct Counts {
        std::uint64_t running = 0;
        std::uint64_t queued = 0;
        std::uint64_t awaiting_approval = 0;
        std::uint64_t results_unacknowledged = 0;
    };
    [[nodiscard]] Counts counts();
    // What is wrong with the journal: why no command can run (no journal, a
    // failed sync, a failed recovery), or results that could not be stored;
    // empty when nothing is.
    [[nodiscard]] std::string journal_problem() const;
    // The `health` checks, as a health_check would answer them now.
    [[nodiscard]] protocol::outbound::Health health();
    [[nodiscard]] std::size_t commands_running() const { return active_.size(); }

private:
    struct Pending {
        journal::CommandSpec spec;
        ApprovedRun run;
    };

    void on_command(const protocol::InboundMessage& message, journal::CommandSpec spec,
                    bool requires_approval);
    void on_cancel(const std::string& message_id, const std::string& request_id);
    void on_approved(const std::string& message_id, const std::string& request_id);
    void on_result_ack(const std::string& request_id);
    void on_health_check(const std::string& request_id);
    void on_config_update(const std::string& request_id, const std::string& config_json);

    void reject(const journal::CommandSpec& spec, std::string reason, bool journal_it);
    void enqueue(journal::CommandSpec spec, ApprovedRun run);
    void pump();
    // `journaled_running`: the row is already `running` (start_new).
    void start(Pending pending, unsigned attempt, bool journaled_running = false);
    // The process start itself, once the `running` row is durable.
    void launch(Pending pending, unsigned attempt);
    void finish(const std::string& request_id, const journal::CommandResult& result);
    // Results finish() could not store (a full disk): stored and sent now
    // if the journal takes them.
    void retry_unstored_results();
    // Why no new command may start; nullopt: they may.
    [[nodiscard]] std::optional<std::string> no_commands_reason() const;
    void send_stored_result(const std::string& request_id);
    void ack(const std::string& request_id, protocol::outbound::AckState state,
             std::optional<std::string> reason = std::nullopt);
    void error(protocol::ErrorCode code, std::string message, const std::string& ref);
    // Group commit: before_write() opens a batch (journal syncs deferred, a
    // flush scheduled); after_durable() runs `effect` at once when no batch
    // is open, else queues it behind the batch's sync. send() is a message
    // as such an effect, so messages keep their order.
    void before_write();
    void after_durable(std::function<void()> effect);
    void send(protocol::outbound::Body body);
    // The open batch's scheduled flush; with a sync thread, it hands the
    // batch over (start_batch_sync) unless a sync is in flight.
    void on_flush_due();
    void start_batch_sync();
    void on_batch_synced(Expected<void> synced);
    // A batch's sync ended: a failure stops every later process start; then
    // its effects run.
    void finish_batch(std::vector<std::function<void()>> effects, const Expected<void>& synced);
    void run_effects(std::vector<std::function<void()>> effects);
    // An inline sync's duration: a slow one moves syncs to the thread.
    void note_sync_time(std::chrono::steady_clock::duration took);
    // A thread sync's duration: enough fast ones in a row bring them back.
    void note_thread_sync_time(std::chrono::steady_clock::duration took);
    // After returning the journal to syncing each commit: if that failed,
    // the journal counts as failed (as after a failed sync).
    void require_each_commit_synced();
    [[nodiscard]] std::expected<ApprovedRun, std::string> check_policy(
        const journal::CommandSpec& spec) const;

    DispatcherSettings settings_;
    journal::Journal* journal_;
    std::string journal_error_;
    CommandPolicy policy_;
    executors::Runner& runner_;
    Sender send_;
    WallClock clock_;
    protocol::InboundParser signed_parser_;

    Schedule schedule_;                                 // set: group commit
    journal::WalSyncThread* sync_thread_ = nullptr;     // set: batches may sync off the loop
    std::chrono::milliseconds slow_sync_{0};
    bool syncs_off_loop_ = false;  // batches go to sync_thread_ (after a slow sync)
    unsigned fast_syncs_to_return_ = 256;
    unsigned fast_thread_syncs_ = 0;  // in a row, while syncs_off_loop_
    bool batch_open_ = false;      // deferred commits, a flush scheduled
    bool sync_in_flight_ = false;  // a batch's sync runs on sync_thread_
    // A group sync failed: the file may have lost writes SQLite believes
    // committed, so no process starts (launch()) and no command is taken
    // until the agent restarts (its recovery then reads what is on disk).
    bool journal_failed_ = false;
    // recover() failed: rows the last process left `running` are still
    // `running`. Nothing starts until a retry (maintain()) succeeds.
    bool recovery_failed_ = false;
    std::string recovery_error_;
    std::map<std::string, journal::CommandResult> unstored_results_;
    std::string unstored_error_;
    bool stopping_ = false;                             // close_batch(): start nothing more
    bool muted_ = false;                                // close_batch(): effects send nothing
    bool running_effects_ = false;                      // inside run_effects()
    std::vector<std::function<void()>> effects_;        // waiting for the open batch's sync
    std::vector<std::function<void()>> in_flight_effects_;  // waiting for the sync in flight
    std::deque<Pending> queue_;                         // accepted, waiting for a slot
    std::map<std::string, executors::RunHandle> active_;  // request_id → run
};

}  // namespace outpost::dispatch
