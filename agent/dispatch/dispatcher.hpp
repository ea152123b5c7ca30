#pragma once
// Validated server messages → the unit that handles each (protocol.md §3.3,
// §3.6): a message passes the signed-command gate (SignedGate) first, then
// is routed: commands, cancel, approval and result_ack to CommandLifecycle,
// config_update to ConfigUpdates, health_check answered here. The journal's
// state is JournalHealth's, its batching GroupCommit's; this class wires
// them together and runs start-up and maintenance.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/auth/secret_key.hpp"
#include "agent/dispatch/command_lifecycle.hpp"
#include "agent/dispatch/command_policy.hpp"
#include "agent/dispatch/config_updates.hpp"
#include "agent/dispatch/group_commit.hpp"
#include "agent/dispatch/journal_health.hpp"
#include "agent/dispatch/signed.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/wal_sync_thread.hpp"
#include "agent/protocol/errors.hpp"
#include "agent/protocol/inbound_messages.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "executors/runner/runner.hpp"

namespace outpost::dispatch {

struct DispatcherSettings {
    std::string node_id;
    std::size_t max_message_bytes = 1024 * 1024;
    std::size_t max_concurrent = 4;
    // What a server can make the agent hold (QueueBounds): commands waiting
    // for a slot and the stdin of unfinished commands; past them a command is
    // rejected.
    QueueLimits queue_limits{};
    std::optional<auth::PublicKey> command_public_key;  // signed commands required when set
    // journal.retention: a signed command's exp may not lie further ahead
    // (less the clock skew), or a replay after the journal forgot its
    // request_id could run it again.
    std::chrono::milliseconds journal_retention = std::chrono::hours(24 * 7);
    std::string state_dir;                   // for the disk health check
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
    // health_check: the owner answers with `health{ref}` (the telemetry
    // pipeline's checks run off the loop, so the answer comes later).
    // Empty: answered at once with this dispatcher's quick checks.
    std::function<void(std::string request_id)> on_health_check{};
    // Metrics: each command run that ended (its final state, how long it
    // ran) and each journal sync of the group commit (how long it took).
    std::function<void(std::string_view state, std::int64_t duration_ms)> on_command_finished{};
    std::function<void(std::chrono::steady_clock::duration)> on_journal_sync{};
    // Each command_ack sent in answer to a message: how long after the
    // message arrived (its journal write and the batch's sync included).
    std::function<void(std::chrono::steady_clock::duration)> on_ack_sent{};
    // stream_logs and stop_stream (the log streams, agent/logs/streams/):
    // a refusal that is an `error` comes back to be sent like the
    // dispatcher's own. Empty: answered as unsupported.
    std::function<std::optional<protocol::ProtocolError>(const protocol::inbound::Body& body,
                                                         const std::string& frame_id)>
        on_stream{};
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

    // Group commit (journal.sync: full; GroupCommit says how it works):
    // acks, results and process starts wait for the sync of the journal
    // writes they depend on. Messages other than execute/deploy/
    // update_agent/result_ack flush first, so they see no half-done batch.
    // Off (the default): every write syncs itself and effects happen at
    // once. The thread must outlive the dispatcher's last close_batch().
    using Schedule = GroupCommit::Schedule;
    void enable_group_commit(Schedule schedule, journal::WalSyncThread* sync_thread = nullptr,
                             std::chrono::milliseconds slow_sync = std::chrono::milliseconds(0),
                             unsigned fast_syncs_to_return = 256);
    // Whether batches are synced on the sync thread now (for status, tests).
    [[nodiscard]] bool syncs_off_loop() const { return commit_.syncs_off_loop(); }
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

  private:
    // A message that passed the gate; `frame_id` is the id of the frame the
    // server sent (for a signed message, its envelope's), which errors name
    // (docs/protocol-notes.md).
    void route(const protocol::InboundMessage& message, const std::string& frame_id);
    // An invalid message: logged, counted, answered with an `error`.
    void refuse(protocol::ProtocolError error);
    void on_journal_failed(std::string why);
    void ack(const std::string& request_id, const AckOutcome& outcome);
    // Behind the group commit; nothing while it is muted (shutdown).
    void send(protocol::outbound::Body body);

    DispatcherSettings settings_;
    journal::Journal* journal_;
    Sender send_;
    WallClock clock_;
    JournalHealth health_;
    GroupCommit commit_;
    SignedGate gate_;
    CommandLifecycle lifecycle_;
    ConfigUpdates config_updates_;
};

}  // namespace outpost::dispatch
