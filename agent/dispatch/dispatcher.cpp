#include "agent/dispatch/dispatcher.hpp"

#include <fmt/format.h>

#include "agent/auth/signed_command.hpp"
#include "agent/dispatch/health.hpp"
#include "agent/dispatch/results.hpp"
#include "agent/dispatch/signed.hpp"
#include "agent/journal/stored_output.hpp"
#include "agent/log/log.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::dispatch {
namespace {

constexpr std::string_view kLog = "dispatch";
// protocol.md §3.3: not_after with 60 s of clock skew allowed.
constexpr std::chrono::seconds kNotAfterSkew{60};

using protocol::outbound::AckState;

bool is_exec_failure(const executors::RunResult& run) {
    return run.state == executors::RunState::failed && !run.exit_code && !run.signal &&
           run.reason && run.reason->rfind("exec failed", 0) == 0;
}

journal::CommandSpec spec_from(const protocol::inbound::Execute& e) {
    journal::CommandSpec spec;
    spec.request_id = e.request_id;
    spec.command = e.command;
    spec.args = e.args;
    spec.env.assign(e.env.begin(), e.env.end());
    spec.stdin_data = e.stdin_data.value_or("");
    if (e.timeout_ms) spec.timeout_ms = static_cast<std::int64_t>(*e.timeout_ms);
    spec.not_after = e.not_after;
    return spec;
}

journal::CommandSpec named_entry(std::string request_id, std::string entry,
                                 std::vector<std::string> args) {
    journal::CommandSpec spec;
    spec.request_id = std::move(request_id);
    spec.command = std::move(entry);
    spec.args = std::move(args);
    return spec;
}

}  // namespace

Dispatcher::Dispatcher(DispatcherSettings settings, journal::Journal* journal,
                       std::string journal_error, CommandPolicy policy, executors::Runner& runner,
                       Sender send, WallClock clock)
    : settings_(std::move(settings)),
      journal_(journal),
      journal_error_(std::move(journal_error)),
      policy_(std::move(policy)),
      runner_(runner),
      send_(std::move(send)),
      clock_(std::move(clock)) {}

// --- start-up and maintenance ---

void Dispatcher::recover() {
    if (!journal_) return;
    auto report = journal_->recover_after_restart(clock_());
    if (!report) {
        // Rows left `running` by the last process are still `running`: no
        // command may start, and their results are owed, until this works.
        if (!recovery_failed_) {
            log::error(kLog,
                       "journal recovery failed; no command runs until it succeeds (retried "
                       "with each maintenance): {}",
                       report.error().message());
        }
        recovery_failed_ = true;
        recovery_error_ = report.error().message();
        return;
    }
    if (recovery_failed_) {
        recovery_failed_ = false;
        log::info(kLog, "journal recovery succeeded; commands run again");
    }
    if (report->running_interrupted + report->queued_interrupted + report->approvals_expired > 0) {
        log::warn(kLog,
                  "after restart: {} running and {} queued command(s) finished as interrupted "
                  "(never started again), {} approval(s) expired",
                  report->running_interrupted, report->queued_interrupted,
                  report->approvals_expired);
    }
}

void Dispatcher::resend_undelivered() {
    if (!journal_) return;
    flush_durable();  // results of the open batch go out in order first
    auto records = journal_->undelivered_results();
    if (!records) {
        log::error(kLog, "cannot read undelivered results: {}", records.error().message());
        return;
    }
    for (const journal::CommandRecord& record : *records) {
        if (!send_(to_wire(record, settings_.max_message_bytes))) break;
    }
    if (!records->empty()) log::info(kLog, "re-sent {} undelivered result(s)", records->size());
}

void Dispatcher::maintain(std::chrono::milliseconds retention) {
    if (!journal_) return;
    flush_durable();  // what follows writes and sends on its own
    if (recovery_failed_) {
        recover();
        if (!recovery_failed_) resend_undelivered();  // the interrupted ones are owed
    }
    retry_unstored_results();
    // result_ack marks wait for the journal's next write; an idle agent
    // writes them here, so they stay pending at most one period.
    if (auto flushed = journal_->flush_delivery_marks(); !flushed) {
        log::error(kLog, "writing result_ack marks: {}", flushed.error().message());
    }
    expire_approvals();
    if (auto pruned = journal_->prune(retention, clock_()); !pruned) {
        log::error(kLog, "journal retention: {}", pruned.error().message());
    }
}

void Dispatcher::expire_approvals() {
    // Also after a failed sync: an expiry only finishes a command as rejected.
    // Not while results wait to be stored: one of them may be the cancel of
    // a held command, which must not become "approval expired" meanwhile.
    if (!journal_ || recovery_failed_ || !unstored_results_.empty()) return;
    flush_durable();  // the expiry writes and sends on its own
    if (auto expired = journal_->expire_held(clock_())) {
        for (const std::string& request_id : *expired) {
            log::info(kLog, "{}: approval window expired", request_id);
            send_stored_result(request_id);
        }
    } else {
        log::error(kLog, "expiring held commands: {}", expired.error().message());
    }
}

std::optional<journal::TimePoint> Dispatcher::next_approval_deadline() {
    // None while expiry is held back (see expire_approvals); maintenance runs it.
    if (!journal_ || recovery_failed_ || !unstored_results_.empty()) return std::nullopt;
    auto next = journal_->next_approval_deadline();
    if (!next) {
        log::error(kLog, "reading approval deadlines: {}", next.error().message());
        return std::nullopt;
    }
    return *next;
}

std::uint64_t Dispatcher::backlog_results() const {
    if (!journal_) return 0;
    return journal_->backlog_results().value_or(0);
}

Dispatcher::Counts Dispatcher::counts() {
    Counts counts;
    counts.running = active_.size();
    counts.queued = queue_.size();
    if (journal_ && !journal_failed_) {
        counts.awaiting_approval = journal_->count(journal::CommandState::awaiting_approval)
                                       .value_or(0);
        counts.results_unacknowledged = journal_->results_awaiting_ack().value_or(0);
    }
    return counts;
}

std::optional<std::string> Dispatcher::no_commands_reason() const {
    if (!journal_ || journal_failed_) return journal_error_;
    if (recovery_failed_) {
        return "journal recovery after the restart failed (" + recovery_error_ +
               "); retried with each maintenance";
    }
    return std::nullopt;
}

std::string Dispatcher::journal_problem() const {
    if (auto why = no_commands_reason()) return *why;
    if (!unstored_results_.empty()) {
        return fmt::format("{} result(s) could not be journaled ({}); not sent, retried with "
                           "each maintenance",
                           unstored_results_.size(), unstored_error_);
    }
    return std::string();
}

protocol::outbound::Health Dispatcher::health() {
    const std::string problem = journal_problem();
    return collect_health(std::nullopt, problem.empty() ? journal_ : nullptr, problem,
                          settings_.state_dir);
}

// --- routing ---

void Dispatcher::handle(const protocol::InboundMessage& message) {
    using namespace protocol::inbound;
    const protocol::InboundMessage* msg = &message;
    std::optional<protocol::InboundMessage> unwrapped;
    if (std::holds_alternative<Signed>(message.body)) {
        if (!settings_.command_public_key) {
            error(protocol::ErrorCode::unsupported,
                  "signed commands are not configured on this agent "
                  "(security.command_public_key is not set)",
                  message.id);
            return;
        }
        // A signed command may not outlive the journal's memory of it.
        const auto max_lifetime =
            std::chrono::duration_cast<std::chrono::seconds>(settings_.journal_retention) -
            auth::kSignedCommandClockSkew;
        auto inner = unwrap_signed(message, *settings_.command_public_key, settings_.node_id,
                                   clock_(), max_lifetime, settings_.max_message_bytes,
                                   signed_parser_);
        if (!inner) {
            log::warn(kLog, "refused signed message {}: {}", message.id, inner.error().message);
            if (settings_.on_invalid) settings_.on_invalid(protocol::to_string(inner.error().code));
            send(protocol::outbound::error_reply(inner.error()));
            return;
        }
        unwrapped = std::move(*inner);
        msg = &*unwrapped;
    } else if (settings_.command_public_key && must_be_signed(message.body)) {
        error(protocol::ErrorCode::bad_signature,
              "`" + message.type + "` must arrive signed: security.command_public_key is set",
              message.id);
        return;
    }

    // Errors name the frame the server sent: for a signed message, its
    // envelope's id (docs/protocol-notes.md).
    const Body& body = msg->body;
    // Only these take part in a batch; anything else (cancel, approval, ...)
    // must see every command of the batch started and every result sent.
    if (!std::holds_alternative<Execute>(body) && !std::holds_alternative<Deploy>(body) &&
        !std::holds_alternative<UpdateAgent>(body) && !std::holds_alternative<ResultAck>(body))
        flush_durable();
    if (const auto* e = std::get_if<Execute>(&body)) {
        on_command(*msg, spec_from(*e), e->requires_approval);
    } else if (const auto* d = std::get_if<Deploy>(&body)) {
        on_command(*msg, named_entry(d->request_id, "deploy", {d->env, d->branch}), false);
    } else if (const auto* u = std::get_if<UpdateAgent>(&body)) {
        on_command(*msg, named_entry(u->request_id, "update_agent", {u->version, u->url, u->sha256}),
                   false);
    } else if (const auto* c = std::get_if<Cancel>(&body)) {
        on_cancel(message.id, c->request_id);
    } else if (const auto* a = std::get_if<ExecuteApproved>(&body)) {
        log::info(kLog, "{}: approved by {}", a->request_id, a->approved_by);
        on_approved(message.id, a->request_id);
    } else if (const auto* r = std::get_if<ResultAck>(&body)) {
        on_result_ack(r->request_id);
    } else if (const auto* h = std::get_if<HealthCheck>(&body)) {
        on_health_check(h->request_id);
    } else if (const auto* cu = std::get_if<ConfigUpdate>(&body)) {
        on_config_update(cu->request_id, cu->config_json);
    } else {
        error(protocol::ErrorCode::unsupported,
              "this agent does not handle `" + msg->type + "` messages", message.id);
    }
}

// --- config_update (protocol.md §3.3) ---

void Dispatcher::on_config_update(const std::string& request_id, const std::string& config_json) {
    if (!settings_.on_config_update) {
        ack(request_id, AckState::rejected,
            "config_update is not supported by this agent version; nothing was changed");
        return;
    }
    // A redelivery (or a replay within a signed message's exp) of an
    // applied update is answered from the journal: applied again after a
    // newer update, it would roll the settings back. §3.3 answers
    // config_update `accepted` or `rejected` only, so it is `accepted` (it
    // is in force as far as it goes) with a reason. A rejected one was never
    // kept: it is checked again, and gets the same answer unless what
    // failed was the journal. Without a journal nothing can be persisted,
    // and the handler refuses it.
    if (journal_) {
        auto applied = journal_->config_update_applied(request_id);
        if (!applied) {
            log::error(kLog, "{}: journal lookup failed: {}", request_id,
                       applied.error().message());
            ack(request_id, AckState::rejected,
                "the journal cannot be read, nothing was changed: " + applied.error().message());
            return;
        }
        if (*applied) {
            log::info(kLog, "{}: config_update applied before, not applied again", request_id);
            ack(request_id, AckState::accepted,
                "already applied when first received; not applied again");
            return;
        }
    }
    if (auto done = settings_.on_config_update(request_id, config_json); done) {
        log::info(kLog, "{}: config_update applied", request_id);
        ack(request_id, AckState::accepted);
    } else {
        log::warn(kLog, "{}: config_update rejected, nothing changed: {}", request_id,
                  done.error());
        ack(request_id, AckState::rejected, done.error());
    }
}

// --- commands (protocol.md §3.3 steps 2-5) ---

void Dispatcher::on_command(const protocol::InboundMessage& message, journal::CommandSpec spec,
                            bool requires_approval) {
    (void)message;
    if (!journal_) {
        reject(spec, "journal unavailable, no command can run: " + journal_error_, false);
        return;
    }
    retry_unstored_results();  // a disk with room again lets them out at once
    // Step 2 comes first even when no command can run: a redelivered id is
    // answered from what the journal knows, never with a second result.
    auto found = journal_->lookup(spec.request_id);
    if (!found) {
        // Whether this id ran is unknown, so no result is made up for it (it
        // could contradict the real one): the server asks again later.
        log::error(kLog, "{}: journal lookup failed: {}", spec.request_id,
                   found.error().message());
        ack(spec.request_id, AckState::rejected,
            "the journal cannot be read, nothing was run: " + found.error().message());
        return;
    }
    if (*found) {  // step 2: seen before — answer from the journal, run nothing
        if (unstored_results_.contains(spec.request_id)) {
            // Finished; its result follows once the journal takes it.
            ack(spec.request_id, AckState::duplicate);
            return;
        }
        const journal::CommandRecord& record = **found;
        if (journal::is_terminal(record.state)) {
            ack(spec.request_id, AckState::duplicate);
            send_stored_result(spec.request_id);
        } else if (record.state == journal::CommandState::awaiting_approval) {
            ack(spec.request_id, AckState::awaiting_approval);
        } else if (record.state == journal::CommandState::queued) {
            ack(spec.request_id, AckState::accepted);  // accepted, waiting for a slot
        } else {
            ack(spec.request_id, AckState::running);
        }
        return;
    }
    if (auto why = no_commands_reason()) {
        // Journaled when the journal still writes (a failed recovery): a
        // redelivery after it heals is then answered, not run.
        reject(spec, "journal unavailable, no command can run: " + *why, !journal_failed_);
        return;
    }
    auto now = clock_();
    if (spec.not_after && now > *spec.not_after + kNotAfterSkew) {
        reject(spec, "not_after " + protocol::format_rfc3339(*spec.not_after) + " has passed",
               true);
        return;
    }
    auto approved = check_policy(spec);
    if (!approved) {
        reject(spec, approved.error(), true);
        return;
    }
    before_write();
    if (requires_approval) {
        if (auto held = journal_->hold_for_approval(spec, now); !held) {
            reject(spec, "journal error: " + held.error().message(), false);
            return;
        }
        ack(spec.request_id, AckState::awaiting_approval);
        if (settings_.on_held) settings_.on_held();
        return;
    }
    if (active_.size() < settings_.max_concurrent && queue_.empty()) {
        // A free slot: journal it straight as `running` (one durable commit),
        // ack, start (protocol.md §3.3 step 4).
        if (auto started = journal_->start_new(spec, now, clock_()); !started) {
            reject(spec, "journal error: " + started.error().message(), false);
            return;
        }
        ack(spec.request_id, AckState::accepted);
        start(Pending{std::move(spec), std::move(*approved)}, 0, true);
        return;
    }
    if (auto queued = journal_->queue(spec, now); !queued) {
        reject(spec, "journal error: " + queued.error().message(), false);
        return;
    }
    ack(spec.request_id, AckState::accepted);
    enqueue(std::move(spec), std::move(*approved));
}

std::expected<ApprovedRun, std::string> Dispatcher::check_policy(
    const journal::CommandSpec& spec) const {
    std::optional<std::uint64_t> timeout;
    if (spec.timeout_ms) timeout = static_cast<std::uint64_t>(*spec.timeout_ms);
    auto approved = policy_(CommandRequest{spec.command, spec.args, spec.env,
                                           spec.stdin_data.size(), timeout});
    if (approved) approved->spec.stdin_data = spec.stdin_data;
    return approved;
}

void Dispatcher::reject(const journal::CommandSpec& spec, std::string reason, bool journal_it) {
    log::warn(kLog, "{}: rejected: {}", spec.request_id, reason);
    auto now = clock_();
    journal::CommandResult result = rejected_result(reason, now);
    if (journal_it && journal_) {  // §3.3 step 3: journaled, then acked
        before_write();
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

void Dispatcher::enqueue(journal::CommandSpec spec, ApprovedRun run) {
    queue_.push_back(Pending{std::move(spec), std::move(run)});
    pump();
}

void Dispatcher::pump() {
    // After a failed sync nothing starts (finish_batch): the queued
    // commands are answered now instead of waiting for a restart.
    while (journal_failed_ && !queue_.empty()) {
        const std::string request_id = queue_.front().spec.request_id;
        queue_.pop_front();
        finish(request_id, rejected_result("not started: " + journal_error_, clock_()));
    }
    while (!stopping_ && active_.size() < settings_.max_concurrent && !queue_.empty()) {
        Pending next = std::move(queue_.front());
        queue_.pop_front();
        start(std::move(next), 0);
    }
}

void Dispatcher::start(Pending pending, unsigned attempt, bool journaled_running) {
    const std::string request_id = pending.spec.request_id;
    if (attempt == 0 && !journaled_running) {
        // The at-most-once point: durable `running` before the process exists.
        before_write();
        if (auto marked = journal_->mark_running(request_id, clock_()); !marked) {
            log::error(kLog, "{}: not started, journal write failed: {}", request_id,
                       marked.error().message());
            finish(request_id, rejected_result("not started: journal write failed: " +
                                                   marked.error().message(),
                                               clock_()));
            return;
        }
    }
    // The slot is taken now, the process started once the batch is durable.
    active_[request_id] = executors::RunHandle{};
    after_durable([this, pending = std::move(pending), attempt]() mutable {
        launch(std::move(pending), attempt);
    });
}

void Dispatcher::launch(Pending pending, unsigned attempt) {
    const std::string request_id = pending.spec.request_id;
    if (stopping_) {  // the batch closed at shutdown (close_batch)
        active_.erase(request_id);
        finish(request_id, not_started_result("the agent was stopping", clock_()));
        return;
    }
    if (journal_failed_) {  // its `running` row may not be on disk, nor its result reach it
        active_.erase(request_id);
        finish(request_id, not_started_result("the journal could not be synced", clock_()));
        pump();
        return;
    }
    log::info(kLog, "{}: running {}{}", request_id, pending.spec.command,
              attempt ? fmt::format(" (retry {} after exec failure)", attempt) : "");
    auto handle = runner_.start(
        pending.run.spec, [this, pending, attempt](executors::RunResult run) {
            const std::string& id = pending.spec.request_id;
            active_.erase(id);
            if (is_exec_failure(run) && attempt < pending.run.exec_retries) {
                log::warn(kLog, "{}: {}; retrying ({} of {})", id, *run.reason, attempt + 1,
                          pending.run.exec_retries);
                start(pending, attempt + 1);
                return;
            }
            finish(id, to_journal(run));
            pump();
        });
    if (!handle) {
        active_.erase(request_id);
        finish(request_id, not_started_result(handle.error().message(), clock_()));
        pump();
        return;
    }
    active_[request_id] = *handle;
}

void Dispatcher::finish(const std::string& request_id, const journal::CommandResult& result) {
    log::info(kLog, "{}: {}{}", request_id, journal::to_string(result.state),
              result.exit_code ? fmt::format(" (exit {})", *result.exit_code) : "");
    before_write();
    if (auto stored = journal_->finish(request_id, result); !stored) {
        // Sent now, it could be followed by a second, different result: the
        // row is still `running`, so a restart would finish it as
        // `interrupted`. It is kept, retried, and sent once it is stored; if
        // the agent stops first, `interrupted` is the one result.
        log::error(kLog, "{}: could not journal the result, keeping it to retry: {}", request_id,
                   stored.error().message());
        unstored_error_ = stored.error().message();
        // Held cut to what can be sent: bounded memory while the disk is full.
        journal::CommandResult kept = result;
        journal::cut_stored_output(kept, settings_.max_message_bytes);
        unstored_results_.insert_or_assign(request_id, std::move(kept));
        return;
    }
    send_stored_result(request_id);
}

void Dispatcher::retry_unstored_results() {
    for (auto it = unstored_results_.begin(); it != unstored_results_.end();) {
        const std::string request_id = it->first;
        before_write();
        if (auto stored = journal_->finish(request_id, it->second); stored) {
            log::info(kLog, "{}: result journaled on retry", request_id);
            it = unstored_results_.erase(it);
            send_stored_result(request_id);
            continue;
        } else {
            unstored_error_ = stored.error().message();
        }
        // A row that can no longer take this result (finished meanwhile, or
        // gone) will never take it: drop it rather than retry for ever.
        auto found = journal_->lookup(request_id);
        if (found && *found && !journal::is_legal_transition((*found)->state, it->second.state)) {
            log::error(kLog, "{}: dropping a result the journal can no longer take ({})",
                       request_id, unstored_error_);
            it = unstored_results_.erase(it);
            continue;
        }
        ++it;
    }
}

void Dispatcher::send_stored_result(const std::string& request_id) {
    auto record = journal_->lookup(request_id);
    if (!record || !*record || !(*record)->result) {
        log::error(kLog, "{}: stored result not found", request_id);
        return;
    }
    send(to_wire(**record, settings_.max_message_bytes));
}

// --- cancel, approval, acks, health ---

void Dispatcher::on_cancel(const std::string& message_id, const std::string& request_id) {
    if (unstored_results_.contains(request_id)) {  // finished; the result waits for the journal
        error(protocol::ErrorCode::unknown_request,
              "the command with request_id " + request_id + " has finished", message_id);
        return;
    }
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->spec.request_id != request_id) continue;
        queue_.erase(it);
        journal::CommandResult result;
        result.state = journal::CommandState::cancelled;
        result.reason = "cancelled before it started";
        result.finished_at = clock_();
        finish(request_id, result);
        return;
    }
    if (auto active = active_.find(request_id); active != active_.end()) {
        if (auto cancelled = runner_.cancel(active->second); !cancelled) {
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
    error(protocol::ErrorCode::unknown_request,
          "no queued, running or held command has request_id " + request_id, message_id);
}

void Dispatcher::on_approved(const std::string& message_id, const std::string& request_id) {
    auto found = journal_ ? journal_->lookup(request_id)
                          : Expected<std::optional<journal::CommandRecord>>(std::nullopt);
    if (!found || !*found) {
        error(protocol::ErrorCode::unknown_request,
              "no command awaiting approval has request_id " + request_id, message_id);
        return;
    }
    journal::CommandRecord record = std::move(**found);
    if (unstored_results_.contains(request_id)) {
        // Finished (e.g. cancelled) while the journal could not store it:
        // never started now; the result follows once stored.
        ack(request_id, AckState::duplicate);
        return;
    }
    if (journal::is_terminal(record.state)) {
        ack(request_id, AckState::duplicate);
        send_stored_result(request_id);
        return;
    }
    if (record.state == journal::CommandState::queued) {  // approved before, waiting for a slot
        ack(request_id, AckState::accepted);
        return;
    }
    if (record.state != journal::CommandState::awaiting_approval) {
        ack(request_id, AckState::running);
        return;
    }
    auto now = clock_();
    if (auto why = no_commands_reason()) {  // as on_command: nothing starts
        finish(request_id, rejected_result("journal unavailable, no command can run: " + *why, now));
        return;
    }
    if (record.approval_deadline && now > *record.approval_deadline) {
        finish(request_id, rejected_result("approval window expired", now));
        return;
    }
    auto approved = check_policy(record.spec);
    if (!approved) {
        finish(request_id, rejected_result(approved.error(), now));
        return;
    }
    // The approval is journaled (awaiting_approval -> queued) before the ack
    // leaves, whether the command starts at once or waits for a slot: the
    // row can no longer expire as unapproved, a second approval finds it
    // queued, and a restart before it starts makes it `interrupted`.
    // Approvals come at human pace; the extra write costs nothing that
    // matters.
    before_write();
    if (auto queued = journal_->approve(request_id); !queued) {
        log::error(kLog, "{}: approval not recorded: {}", request_id, queued.error().message());
        finish(request_id,
               rejected_result("approval could not be journaled: " + queued.error().message(),
                               now));
        return;
    }
    ack(request_id, AckState::accepted);
    enqueue(std::move(record.spec), std::move(*approved));
}

void Dispatcher::on_result_ack(const std::string& request_id) {
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

void Dispatcher::on_health_check(const std::string& request_id) {
    protocol::outbound::Health answer = health();
    answer.ref = request_id;
    send(std::move(answer));
}

void Dispatcher::ack(const std::string& request_id, AckState state,
                     std::optional<std::string> reason) {
    send(protocol::outbound::CommandAck{request_id, state, std::move(reason)});
}

void Dispatcher::error(protocol::ErrorCode code, std::string message, const std::string& ref) {
    log::warn(kLog, "{} ({}): {}", protocol::to_string(code), ref, message);
    // unknown_request answers a valid message that came too late (a cancel
    // racing the command's end); the rest are invalid messages.
    if (settings_.on_invalid && code != protocol::ErrorCode::unknown_request) {
        settings_.on_invalid(protocol::to_string(code));
    }
    send(protocol::outbound::error_reply(
        protocol::ProtocolError{code, std::move(message), std::nullopt, ref}));
}

// --- group commit ---

void Dispatcher::enable_group_commit(Schedule schedule, journal::WalSyncThread* sync_thread,
                                     std::chrono::milliseconds slow_sync,
                                     unsigned fast_syncs_to_return) {
    schedule_ = std::move(schedule);
    sync_thread_ = sync_thread;
    slow_sync_ = slow_sync;
    fast_syncs_to_return_ = fast_syncs_to_return;
    syncs_off_loop_ = sync_thread != nullptr && slow_sync.count() == 0;
}

void Dispatcher::before_write() {
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

void Dispatcher::after_durable(std::function<void()> effect) {
    // Behind an open batch, and behind one whose sync is in flight, so that
    // messages keep their order; a synced batch's effects run at once.
    if (running_effects_ || (!batch_open_ && !sync_in_flight_)) {
        effect();
        return;
    }
    effects_.push_back(std::move(effect));
}

void Dispatcher::send(protocol::outbound::Body body) {
    after_durable([this, body = std::move(body)]() mutable {
        if (!muted_) (void)send_(std::move(body));
    });
}

void Dispatcher::on_flush_due() {
    if (!batch_open_) return;  // already handed to the sync thread (on_batch_synced)
    if (!syncs_off_loop_) {
        flush_durable();
        return;
    }
    // One sync at a time: the batch follows when the one in flight ends.
    if (!sync_in_flight_) start_batch_sync();
}

void Dispatcher::start_batch_sync() {
    // Every commit of the batch was written before begin(), so the thread's
    // fdatasync covers them; later commits open the next batch.
    batch_open_ = false;
    (void)journal_->hand_off_deferred_sync();  // later writes sync themselves until then
    require_each_commit_synced();
    in_flight_effects_ = std::move(effects_);
    effects_.clear();
    sync_in_flight_ = true;
    sync_thread_->begin([this](Expected<void> synced) { on_batch_synced(std::move(synced)); });
}

void Dispatcher::on_batch_synced(Expected<void> synced) {
    sync_in_flight_ = false;
    if (synced) journal_->confirm_handed_off_sync();  // the journal's mark may follow
    note_thread_sync_time(sync_thread_->last_sync_took());
    std::vector<std::function<void()>> effects = std::move(in_flight_effects_);
    in_flight_effects_.clear();
    finish_batch(std::move(effects), synced);
    if (batch_open_) {
        // Its commits need not wait for the next loop pass (whose flush
        // may already have found this sync in flight and gone).
        if (syncs_off_loop_) {
            start_batch_sync();
        } else {
            flush_durable();
        }
    } else if (!effects_.empty()) {
        // Queued behind the sync that just ended, with no commit of their own.
        std::vector<std::function<void()>> waiting = std::move(effects_);
        effects_.clear();
        run_effects(std::move(waiting));
    }
}

void Dispatcher::flush_durable() {
    // Blocks the loop for the sync in flight and the open batch's: only
    // the rare messages and maintenance need every batch durable now.
    while (batch_open_ || sync_in_flight_) {
        if (sync_in_flight_) {
            sync_thread_->wait();  // runs on_batch_synced, which may start the next
        } else if (syncs_off_loop_) {
            start_batch_sync();
        } else {
            batch_open_ = false;
            const auto began = std::chrono::steady_clock::now();
            const Expected<void> synced = journal_->sync_deferred();
            note_sync_time(std::chrono::steady_clock::now() - began);
            require_each_commit_synced();
            std::vector<std::function<void()>> effects = std::move(effects_);
            effects_.clear();
            finish_batch(std::move(effects), synced);
        }
    }
}

void Dispatcher::note_sync_time(std::chrono::steady_clock::duration took) {
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

void Dispatcher::note_thread_sync_time(std::chrono::steady_clock::duration took) {
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

void Dispatcher::finish_batch(std::vector<std::function<void()>> effects,
                              const Expected<void>& synced) {
    if (!synced) {
        // The commits are in the WAL but not known to be on disk, and after
        // a failed fdatasync Linux may have dropped the data while SQLite
        // counts it committed, so later syncs prove nothing either. From
        // now on no process starts (launch()), though messages still go
        // out, until a restart (PostgreSQL panics on a failed fsync for the
        // same reason).
        log::error(kLog,
                   "journal sync failed; starting nothing from this batch and refusing new "
                   "commands until the agent restarts: {}",
                   synced.error().message());
        journal_failed_ = true;
        journal_error_ = "a journal sync failed (" + synced.error().message() +
                         "); no command runs until the agent restarts";
        if (settings_.on_journal_failed) settings_.on_journal_failed();
    }
    run_effects(std::move(effects));
}

void Dispatcher::require_each_commit_synced() {
    // Switching SQLite back to synchronous=FULL is a PRAGMA that does no
    // I/O and should never fail; if it did, commits that nothing batches
    // would go unsynced while their effects follow at once. Treated like a
    // failed sync.
    if (!journal_ || !journal_->syncs_deferred() || journal_failed_) return;
    log::error(kLog, "the journal could not return to syncing each commit; no command runs "
                     "until the agent restarts");
    journal_failed_ = true;
    journal_error_ = "the journal could not return to syncing each commit "
                     "(PRAGMA synchronous=FULL failed); no command runs until the agent restarts";
    if (settings_.on_journal_failed) settings_.on_journal_failed();
}

void Dispatcher::run_effects(std::vector<std::function<void()>> effects) {
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

void Dispatcher::close_batch() {
    stopping_ = true;
    schedule_ = nullptr;  // later writes (completions while draining) sync themselves
    if (!batch_open_ && !sync_in_flight_) return;
    // The batch is made durable and its effects run, muted: the offline
    // status has gone out, so its acks are answered from the journal and its
    // results re-sent after the next welcome; its process starts finish their
    // commands as `failed`, not started (launch()), where dropping them
    // would have left `running` rows that the next start calls `interrupted`
    // although they never ran.
    muted_ = true;
    flush_durable();
    muted_ = false;
}

}  // namespace outpost::dispatch
