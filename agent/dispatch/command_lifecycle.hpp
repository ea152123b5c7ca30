#pragma once
// A command's life (protocol.md §3.3 steps 2-5): answered from the journal
// when seen before, checked (journal health, not_after, the allow-list),
// journaled, acked, held for approval or queued for a slot, started once its
// `running` row is durable, finished into the journal, its result sent and
// re-sent until a result_ack; and cancel, approval and approval expiry.
//
// The at-most-once point: a command is journaled `running` (durably) before
// its process starts, and a request_id found in the journal is never run
// again: it is answered from the journal.
//
// Every message it sends waits behind the group commit (GroupCommit), so
// nothing leaves before the journal writes it depends on are durable.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "agent/dispatch/command_policy.hpp"
#include "agent/dispatch/group_commit.hpp"
#include "agent/dispatch/journal_health.hpp"
#include "agent/dispatch/queue_bounds.hpp"
#include "agent/dispatch/run_slots.hpp"
#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "executors/runner/runner.hpp"

namespace outpost::dispatch {

class CommandLifecycle {
  public:
    // Sends one message; false when it could not go out now (offline).
    using Sender = std::function<bool(protocol::outbound::Body)>;
    using WallClock = std::function<std::chrono::system_clock::time_point()>;

    struct Settings {
        std::size_t max_message_bytes = 1024 * 1024;
        std::size_t max_concurrent = 4;
        // executor.max_queued, executor.max_queued_stdin_bytes (QueueBounds).
        QueueLimits queue_limits{};
        // A command was held for approval (next_approval_deadline may now
        // be earlier).
        std::function<void()> on_held{};
        // A run ended with this final state after this long (metrics).
        std::function<void(std::string_view state, std::int64_t duration_ms)> on_finished{};
    };
    // What it works with; all must outlive it. `journal` null: no journal,
    // every command is rejected (health says why).
    struct Parts {
        journal::Journal* journal = nullptr;
        executors::Runner& runner;
        GroupCommit& commit;
        JournalHealth& health;
    };

    CommandLifecycle(Settings settings, Parts parts, CommandPolicy policy, Sender send,
                     WallClock clock);
    CommandLifecycle(const CommandLifecycle&) = delete;
    CommandLifecycle& operator=(const CommandLifecycle&) = delete;

    // execute, deploy and update_agent, as the journal keeps them.
    void on_command(journal::CommandSpec spec, bool requires_approval);
    // `message_id` names the frame in an unknown_request error.
    void on_cancel(const std::string& message_id, const std::string& request_id);
    void on_approved(const std::string& message_id, const std::string& request_id);
    void on_result_ack(const std::string& request_id);

    // Every stored result without result_ack, oldest first, sent as such
    // (not behind the group commit: the caller flushes it first).
    void resend_undelivered();
    // Results finish() could not store (a full disk): stored and sent now
    // if the journal takes them.
    void retry_unstored_results();
    // Held commands past their approval deadline become `rejected` and their
    // results are sent.
    void expire_approvals();
    // When the next held command expires; nullopt: none is held, or expiry
    // is held back (see expire_approvals).
    [[nodiscard]] std::optional<journal::TimePoint> next_approval_deadline();
    // At shutdown: nothing more starts (queued commands stay queued, and are
    // `interrupted` at the next start); a start already waiting for a sync
    // finishes its command as `failed` ("not started: the agent was stopping").
    void stop_starting() { stopping_ = true; }

    [[nodiscard]] const RunSlots& slots() const { return slots_; }
    [[nodiscard]] const QueueBounds& bounds() const { return bounds_; }

  private:
    void reject(const journal::CommandSpec& spec, std::string reason, bool journal_it);
    // Why a new command is past a bound of QueueBounds; nullopt: within them.
    [[nodiscard]] std::optional<std::string> bound_reached(const journal::CommandSpec& spec,
                                                           bool requires_approval);
    // Journals the new command (held, running or queued), acks it and starts
    // or queues it.
    void accept(journal::CommandSpec spec, ApprovedRun approved, bool requires_approval,
                journal::TimePoint now);
    // Answers a redelivered request_id from its journal row.
    void answer_known(const std::string& request_id, const journal::CommandRecord& record);
    void enqueue(journal::CommandSpec spec, ApprovedRun run);
    void pump();
    // `journaled_running`: the row is already `running` (start_new).
    void start(PendingRun pending, unsigned attempt, bool journaled_running = false);
    // The process start itself, once the `running` row is durable.
    void launch(PendingRun pending, unsigned attempt);
    void on_run_done(const PendingRun& pending, unsigned attempt, executors::RunResult run);
    void finish(const std::string& request_id, const journal::CommandResult& result);
    void send_stored_result(const std::string& request_id);
    void ack(const std::string& request_id, protocol::outbound::AckState state,
             std::optional<std::string> reason = std::nullopt);
    // A valid request for a command that is not (or no longer) there.
    void unknown_request(std::string message, const std::string& ref);
    // Behind the group commit; nothing while it is muted (shutdown).
    void send(protocol::outbound::Body body);
    [[nodiscard]] Expected<ApprovedRun> check_policy(const journal::CommandSpec& spec) const;

    Settings settings_;
    journal::Journal* journal_;
    executors::Runner& runner_;
    GroupCommit& commit_;
    JournalHealth& health_;
    CommandPolicy policy_;
    Sender send_;
    WallClock clock_;
    RunSlots slots_;
    QueueBounds bounds_;
    bool stopping_ = false;  // stop_starting(): start nothing more
};

}  // namespace outpost::dispatch
