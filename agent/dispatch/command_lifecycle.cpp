#include "agent/dispatch/command_lifecycle.hpp"

#include <fmt/format.h>

#include "agent/dispatch/results.hpp"
#include "agent/log/log.hpp"
#include "agent/protocol/rfc3339.hpp"

// The command's way in: steps 2-3 of protocol.md §3.3, cancel, approval and
// acks. Its run and its result are in command_runs.cpp.

namespace outpost::dispatch {
namespace {

constexpr std::string_view kLog = "dispatch";
// protocol.md §3.3: not_after with 60 s of clock skew allowed.
constexpr std::chrono::seconds kNotAfterSkew{60};

using protocol::outbound::AckState;

}  // namespace

CommandLifecycle::CommandLifecycle(Settings settings, Parts parts, CommandPolicy policy,
                                   Sender send, WallClock clock)
    : settings_(std::move(settings)),
      journal_(parts.journal),
      runner_(parts.runner),
      commit_(parts.commit),
      health_(parts.health),
      policy_(std::move(policy)),
      send_(std::move(send)),
      clock_(std::move(clock)),
      slots_(settings_.max_concurrent),
      bounds_(settings_.queue_limits) {}

void CommandLifecycle::on_command(journal::CommandSpec spec, bool requires_approval) {
    if (!journal_) {
        reject(spec, "journal unavailable, no command can run: " + health_.journal_error(), false);
        return;
    }
    retry_unstored_results();  // a disk with room again lets them out at once
    // Step 2 comes first even when no command can run: a redelivered id is
    // answered from what the journal knows, never with a second result.
    auto found = journal_->lookup(spec.request_id);
    if (!found) {
        // Whether this id ran is unknown, so no result is made up for it (it
        // could contradict the real one): the server asks again later.
        log::error(kLog, "{}: journal lookup failed: {}", spec.request_id, found.error().message());
        ack(spec.request_id, AckState::rejected,
            "the journal cannot be read, nothing was run: " + found.error().message());
        return;
    }
    if (*found) {  // step 2: seen before — answer from the journal, run nothing
        answer_known(spec.request_id, **found);
        return;
    }
    if (auto why = health_.no_commands_reason()) {
        // Journaled when the journal still writes (a failed recovery): a
        // redelivery after it heals is then answered, not run.
        reject(spec, "journal unavailable, no command can run: " + *why, !health_.failed());
        return;
    }
    const auto now = clock_();  // the row's received_at
    if (spec.not_after && now > *spec.not_after + kNotAfterSkew) {
        reject(spec, "not_after " + protocol::format_rfc3339(*spec.not_after) + " has passed",
               true);
        return;
    }
    auto approved = check_policy(spec);
    if (!approved) {
        reject(spec, approved.error().message(), true);
        return;
    }
    // Past a bound the command is refused like any other (journaled, so a
    // redelivery is answered as a duplicate and never run later).
    if (auto full = bound_reached(spec, requires_approval)) {
        reject(spec, std::move(*full), true);
        return;
    }
    accept(std::move(spec), std::move(*approved), requires_approval, now);
}

std::optional<std::string> CommandLifecycle::bound_reached(const journal::CommandSpec& spec,
                                                           bool requires_approval) {
    if (!requires_approval) {
        return bounds_.refusal(!slots_.can_start_now(), slots_.queued_count(),
                               spec.stdin_data.size());
    }
    // Held commands wait in the journal; counted there (an indexed count).
    // Its stdin is checked when an approval queues it.
    auto held = journal_->count(journal::CommandState::awaiting_approval);
    if (!held) {
        return "the journal cannot be read, nothing was run: " + held.error().message();
    }
    return bounds_.held_refusal(*held);
}

void CommandLifecycle::answer_known(const std::string& request_id,
                                    const journal::CommandRecord& record) {
    if (health_.is_unstored(request_id)) {
        // Finished; its result follows once the journal takes it.
        ack(request_id, AckState::duplicate);
        return;
    }
    if (journal::is_terminal(record.state)) {
        ack(request_id, AckState::duplicate);
        send_stored_result(request_id);
    } else if (record.state == journal::CommandState::awaiting_approval) {
        ack(request_id, AckState::awaiting_approval);
    } else if (record.state == journal::CommandState::queued) {
        ack(request_id, AckState::accepted);  // accepted, waiting for a slot
    } else {
        ack(request_id, AckState::running);
    }
}

void CommandLifecycle::accept(journal::CommandSpec spec, ApprovedRun approved,
                              bool requires_approval, journal::TimePoint now) {
    commit_.before_write();
    if (requires_approval) {
        if (auto held = journal_->hold_for_approval(spec, now); !held) {
            reject(spec, "journal error: " + held.error().message(), false);
            return;
        }
        ack(spec.request_id, AckState::awaiting_approval);
        if (settings_.on_held) settings_.on_held();
        return;
    }
    // Not journaled, not kept twice: a queued or running row is never started
    // from the journal (a restart makes it `interrupted`), and the run has its
    // own copy (approved.spec). The journal stays small under a flood of
    // large stdin.
    bounds_.hold(spec.request_id, approved.spec.stdin_data.size());
    std::string().swap(spec.stdin_data);
    if (slots_.can_start_now()) {
        // A free slot: journal it straight as `running` (one durable commit),
        // ack, start (protocol.md §3.3 step 4).
        if (auto started = journal_->start_new(spec, now, clock_()); !started) {
            bounds_.release(spec.request_id);
            reject(spec, "journal error: " + started.error().message(), false);
            return;
        }
        ack(spec.request_id, AckState::accepted);
        start(PendingRun{std::move(spec), std::move(approved)}, 0, true);
        return;
    }
    if (auto queued = journal_->queue(spec, now); !queued) {
        bounds_.release(spec.request_id);
        reject(spec, "journal error: " + queued.error().message(), false);
        return;
    }
    ack(spec.request_id, AckState::accepted);
    enqueue(std::move(spec), std::move(approved));
}

Expected<ApprovedRun> CommandLifecycle::check_policy(const journal::CommandSpec& spec) const {
    std::optional<std::uint64_t> timeout;
    if (spec.timeout_ms) timeout = static_cast<std::uint64_t>(*spec.timeout_ms);
    auto approved =
        policy_(CommandRequest{spec.command, spec.args, spec.env, spec.stdin_data.size(), timeout});
    if (approved) approved->spec.stdin_data = spec.stdin_data;
    return approved;
}

void CommandLifecycle::reject(const journal::CommandSpec& spec, std::string reason,
                              bool journal_it) {
    log::warn(kLog, "{}: rejected: {}", spec.request_id, reason);
    auto now = clock_();
    journal::CommandResult result = rejected_result(reason, now);
    if (journal_it && journal_) {  // §3.3 step 3: journaled, then acked
        commit_.before_write();
        if (auto stored = journal_->insert_rejected(spec, now, result); stored) {
            ack(spec.request_id, AckState::rejected, reason);
            send_stored_result(spec.request_id);
            return;
        } else {
            log::error(kLog, "{}: could not journal the rejection: {}", spec.request_id,
                       stored.error().message());
        }
    }
    ack(spec.request_id, AckState::rejected, reason);
    journal::CommandRecord record;
    record.spec = spec;
    record.state = journal::CommandState::rejected;
    record.received_at = now;
    record.result = result;
    send(to_wire(record, settings_.max_message_bytes));
}

// --- cancel, approval, acks ---

void CommandLifecycle::on_cancel(const std::string& message_id, const std::string& request_id) {
    if (health_.is_unstored(request_id)) {  // finished; the result waits for the journal
        unknown_request("the command with request_id " + request_id + " has finished", message_id);
        return;
    }
    if (slots_.remove_queued(request_id)) {
        journal::CommandResult result;
        result.state = journal::CommandState::cancelled;
        result.reason = "cancelled before it started";
        result.finished_at = clock_();
        finish(request_id, result);
        return;
    }
    if (auto running = slots_.running(request_id)) {
        if (auto cancelled = runner_.cancel(*running); !cancelled) {
            log::warn(kLog, "{}: cancel: {}", request_id, cancelled.error().message());
        }
        return;  // the runner reports `cancelled` when the tree is gone
    }
    if (journal_) {
        auto found = journal_->lookup(request_id);
        if (found && *found && (*found)->state == journal::CommandState::awaiting_approval) {
            journal::CommandResult result;
            result.state = journal::CommandState::cancelled;
            result.reason = "cancelled while awaiting approval";
            result.finished_at = clock_();
            finish(request_id, result);
            return;
        }
    }
    unknown_request("no queued, running or held command has request_id " + request_id, message_id);
}

void CommandLifecycle::on_approved(const std::string& message_id, const std::string& request_id) {
    auto found = journal_ ? journal_->lookup(request_id)
                          : Expected<std::optional<journal::CommandRecord>>(std::nullopt);
    if (!found || !*found) {
        unknown_request("no command awaiting approval has request_id " + request_id, message_id);
        return;
    }
    journal::CommandRecord record = std::move(**found);
    if (health_.is_unstored(request_id)) {
        // Finished (e.g. cancelled) while the journal could not store it:
        // never started now; the result follows once stored.
        ack(request_id, AckState::duplicate);
        return;
    }
    if (record.state != journal::CommandState::awaiting_approval) {
        // Approved before (queued, waiting for a slot), running or finished.
        answer_known(request_id, record);
        return;
    }
    auto now = clock_();
    if (auto why = health_.no_commands_reason()) {  // as on_command: nothing starts
        finish(request_id,
               rejected_result("journal unavailable, no command can run: " + *why, now));
        return;
    }
    if (record.approval_deadline && now > *record.approval_deadline) {
        finish(request_id, rejected_result("approval window expired", now));
        return;
    }
    auto approved = check_policy(record.spec);
    if (!approved) {
        finish(request_id, rejected_result(approved.error().message(), now));
        return;
    }
    // An approval queues the command (even with a free slot: enqueue), so
    // the bounds apply as to a new command.
    if (auto full = bounds_.refusal(!slots_.can_start_now(), slots_.queued_count(),
                                    approved->spec.stdin_data.size())) {
        finish(request_id, rejected_result(std::move(*full), now));
        return;
    }
    // The approval is journaled (awaiting_approval -> queued) before the ack
    // leaves, whether the command starts at once or waits for a slot: the
    // row can no longer expire as unapproved, a second approval finds it
    // queued, and a restart before it starts makes it `interrupted`.
    // Approvals come at human pace; the extra write costs nothing that
    // matters.
    commit_.before_write();
    if (auto queued = journal_->approve(request_id); !queued) {
        log::error(kLog, "{}: approval not recorded: {}", request_id, queued.error().message());
        finish(
            request_id,
            rejected_result("approval could not be journaled: " + queued.error().message(), now));
        return;
    }
    ack(request_id, AckState::accepted);
    bounds_.hold(request_id, approved->spec.stdin_data.size());
    std::string().swap(record.spec.stdin_data);  // the run has its own copy
    enqueue(std::move(record.spec), std::move(*approved));
}

void CommandLifecycle::on_result_ack(const std::string& request_id) {
    if (!journal_) return;
    // Answered at once; the journal writes the mark with its next write (the
    // next execute's), so the ack costs no transaction of its own.
    auto marked = journal_->mark_result_delivered(request_id, clock_());
    if (!marked) {
        log::error(kLog, "{}: result_ack: {}", request_id, marked.error().message());
    } else if (*marked == journal::DeliveryMark::unknown_request ||
               *marked == journal::DeliveryMark::not_finished) {
        log::warn(kLog, "{}: result_ack for a command without a stored result", request_id);
    }
}

void CommandLifecycle::expire_approvals() {
    // Also after a failed sync: an expiry only finishes a command as rejected.
    // Not while results wait to be stored: one of them may be the cancel of
    // a held command, which must not become "approval expired" meanwhile.
    if (!journal_ || health_.recovery_pending() || health_.has_unstored()) return;
    commit_.flush();  // the expiry writes and sends on its own
    if (auto expired = journal_->expire_held(clock_())) {
        for (const std::string& request_id : *expired) {
            log::info(kLog, "{}: approval window expired", request_id);
            send_stored_result(request_id);
        }
    } else {
        log::error(kLog, "expiring held commands: {}", expired.error().message());
    }
}

std::optional<journal::TimePoint> CommandLifecycle::next_approval_deadline() {
    // None while expiry is held back (see expire_approvals); maintenance runs it.
    if (!journal_ || health_.recovery_pending() || health_.has_unstored()) return std::nullopt;
    auto next = journal_->next_approval_deadline();
    if (!next) {
        log::error(kLog, "reading approval deadlines: {}", next.error().message());
        return std::nullopt;
    }
    return *next;
}

void CommandLifecycle::ack(const std::string& request_id, AckState state,
                           std::optional<std::string> reason) {
    // Set while a message is being handled (the metrics' ack latency).
    const auto received = commit_.message_received();
    commit_.after_durable([this, received,
                           body = protocol::outbound::Body(protocol::outbound::CommandAck{
                               request_id, state, std::move(reason)})]() mutable {
        if (commit_.muted()) return;
        if (send_(std::move(body)) && received) commit_.note_ack_sent(*received);
    });
}

void CommandLifecycle::unknown_request(std::string message, const std::string& ref) {
    // A valid message that came too late (a cancel racing the command's
    // end): not counted as invalid.
    log::warn(kLog, "{} ({}): {}", protocol::to_string(protocol::ErrorCode::unknown_request), ref,
              message);
    send(protocol::outbound::error_reply(protocol::ProtocolError{
        protocol::ErrorCode::unknown_request, std::move(message), std::nullopt, ref}));
}

void CommandLifecycle::send(protocol::outbound::Body body) {
    commit_.after_durable([this, body = std::move(body)]() mutable {
        if (!commit_.muted()) (void)send_(std::move(body));
    });
}

}  // namespace outpost::dispatch
