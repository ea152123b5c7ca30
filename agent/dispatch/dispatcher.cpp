#include "agent/dispatch/dispatcher.hpp"

#include "agent/dispatch/health.hpp"
#include "agent/log/log.hpp"

namespace outpost::dispatch {
namespace {

constexpr std::string_view kLog = "dispatch";

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

// Only these take part in a batch; anything else (cancel, approval, ...)
// must see every command of the batch started and every result sent.
bool joins_batch(const protocol::inbound::Body& body) {
    using namespace protocol::inbound;
    return std::holds_alternative<Execute>(body) || std::holds_alternative<Deploy>(body) ||
           std::holds_alternative<UpdateAgent>(body) || std::holds_alternative<ResultAck>(body);
}

}  // namespace

Dispatcher::Dispatcher(DispatcherSettings settings, journal::Journal* journal,
                       std::string journal_error, CommandPolicy policy, executors::Runner& runner,
                       Sender send, WallClock clock)
    : settings_(std::move(settings)),
      journal_(journal),
      send_(std::move(send)),
      clock_(std::move(clock)),
      health_(journal != nullptr, std::move(journal_error)),
      commit_(journal, [this](std::string why) { on_journal_failed(std::move(why)); }),
      gate_(SignedGate::Settings{.node_id = settings_.node_id,
                                 .max_message_bytes = settings_.max_message_bytes,
                                 .command_public_key = settings_.command_public_key,
                                 .journal_retention = settings_.journal_retention},
            clock_),
      lifecycle_(CommandLifecycle::Settings{.max_message_bytes = settings_.max_message_bytes,
                                            .max_concurrent = settings_.max_concurrent,
                                            .queue_limits = settings_.queue_limits,
                                            .on_held = settings_.on_held,
                                            .on_finished = settings_.on_command_finished},
                 CommandLifecycle::Parts{
                     .journal = journal, .runner = runner, .commit = commit_, .health = health_},
                 std::move(policy), send_, clock_),
      config_updates_(journal, settings_.on_config_update) {
    commit_.on_sync_timed(settings_.on_journal_sync);
    commit_.on_ack_sent(settings_.on_ack_sent);
}

// --- start-up and maintenance ---

void Dispatcher::recover() {
    if (!journal_) return;
    auto report = journal_->recover_after_restart(
        clock_(), settings_.restart_reason.empty() ? journal::kReasonRestartedWhileRunning
                                                   : std::string_view(settings_.restart_reason));
    if (!report) {
        // Rows left `running` by the last process are still `running`: no
        // command may start, and their results are owed, until this works.
        if (health_.recovery_failed(report.error().message())) {
            log::error(kLog,
                       "journal recovery failed; no command runs until it succeeds (retried "
                       "with each maintenance): {}",
                       report.error().message());
        }
        return;
    }
    if (health_.recovery_succeeded()) {
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
    lifecycle_.resend_undelivered();
}

void Dispatcher::maintain(std::chrono::milliseconds retention) {
    if (!journal_) return;
    flush_durable();  // what follows writes and sends on its own
    if (health_.recovery_pending()) {
        recover();
        if (!health_.recovery_pending()) resend_undelivered();  // the interrupted ones are owed
    }
    lifecycle_.retry_unstored_results();
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
    lifecycle_.expire_approvals();
}

std::optional<journal::TimePoint> Dispatcher::next_approval_deadline() {
    return lifecycle_.next_approval_deadline();
}

std::uint64_t Dispatcher::backlog_results() const {
    if (!journal_) return 0;
    return journal_->backlog_results().value_or(0);
}

Dispatcher::Counts Dispatcher::counts() {
    Counts counts;
    counts.running = lifecycle_.slots().running_count();
    counts.queued = lifecycle_.slots().queued_count();
    if (!health_.unusable()) {
        counts.awaiting_approval =
            journal_->count(journal::CommandState::awaiting_approval).value_or(0);
        counts.results_unacknowledged = journal_->results_awaiting_ack().value_or(0);
    }
    return counts;
}

std::string Dispatcher::journal_problem() const {
    return health_.problem();
}

protocol::outbound::Health Dispatcher::health() {
    const std::string problem = journal_problem();
    return collect_health(std::nullopt, problem.empty() ? journal_ : nullptr, problem,
                          settings_.state_dir);
}

void Dispatcher::on_journal_failed(std::string why) {
    health_.sync_failed(std::move(why));
    if (settings_.on_journal_failed) settings_.on_journal_failed();
}

// --- the gate, then routing ---

void Dispatcher::handle(const protocol::InboundMessage& message) {
    // Only with the metrics' observer set: one clock read per message.
    if (settings_.on_ack_sent) commit_.mark_message(std::chrono::steady_clock::now());
    auto admitted = gate_.admit(message);
    if (!admitted) {
        refuse(std::move(admitted.error()));
    } else {
        route(*admitted ? **admitted : message, message.id);
    }
    commit_.mark_message(std::nullopt);
}

void Dispatcher::route(const protocol::InboundMessage& message, const std::string& frame_id) {
    using namespace protocol::inbound;
    const Body& body = message.body;
    if (!joins_batch(body)) flush_durable();
    if (const auto* e = std::get_if<Execute>(&body)) {
        lifecycle_.on_command(spec_from(*e), e->requires_approval);
    } else if (const auto* d = std::get_if<Deploy>(&body)) {
        lifecycle_.on_command(named_entry(d->request_id, "deploy", {d->env, d->branch}), false);
    } else if (const auto* u = std::get_if<UpdateAgent>(&body)) {
        lifecycle_.on_command(
            named_entry(u->request_id, "update_agent", {u->version, u->url, u->sha256}), false);
    } else if (const auto* c = std::get_if<Cancel>(&body)) {
        lifecycle_.on_cancel(frame_id, c->request_id);
    } else if (const auto* a = std::get_if<ExecuteApproved>(&body)) {
        log::info(kLog, "{}: approved by {}", a->request_id, a->approved_by);
        lifecycle_.on_approved(frame_id, a->request_id);
    } else if (const auto* r = std::get_if<ResultAck>(&body)) {
        lifecycle_.on_result_ack(r->request_id);
    } else if (const auto* h = std::get_if<HealthCheck>(&body)) {
        if (settings_.on_health_check) {
            settings_.on_health_check(h->request_id);
            return;
        }
        protocol::outbound::Health answer = health();
        answer.ref = h->request_id;
        send(std::move(answer));
    } else if (const auto* cu = std::get_if<ConfigUpdate>(&body)) {
        ack(cu->request_id, config_updates_.handle(cu->request_id, cu->config_json));
    } else if ((std::holds_alternative<StreamLogs>(body) ||
                std::holds_alternative<StopStream>(body)) &&
               settings_.on_stream) {
        if (auto refused = settings_.on_stream(body, frame_id)) refuse(std::move(*refused));
    } else {
        refuse(protocol::ProtocolError{protocol::ErrorCode::unsupported,
                                       "this agent does not handle `" + message.type + "` messages",
                                       std::nullopt, frame_id});
    }
}

void Dispatcher::refuse(protocol::ProtocolError error) {
    // protocol.md §3 counts every invalid message, not only those the
    // parser refuses.
    log::warn(kLog, "{} ({}): {}", protocol::to_string(error.code), error.ref.value_or(""),
              error.message);
    if (settings_.on_invalid) settings_.on_invalid(protocol::to_string(error.code));
    send(protocol::outbound::error_reply(std::move(error)));
}

void Dispatcher::ack(const std::string& request_id, const AckOutcome& outcome) {
    const auto received = commit_.message_received();
    commit_.after_durable([this, received,
                           body = protocol::outbound::Body(protocol::outbound::CommandAck{
                               request_id, outcome.state, outcome.reason})]() mutable {
        if (commit_.muted()) return;
        if (send_(std::move(body)) && received) commit_.note_ack_sent(*received);
    });
}

void Dispatcher::send(protocol::outbound::Body body) {
    commit_.after_durable([this, body = std::move(body)]() mutable {
        if (!commit_.muted()) (void)send_(std::move(body));
    });
}

// --- group commit ---

void Dispatcher::enable_group_commit(Schedule schedule, journal::WalSyncThread* sync_thread,
                                     std::chrono::milliseconds slow_sync,
                                     unsigned fast_syncs_to_return) {
    commit_.enable(std::move(schedule), sync_thread, slow_sync, fast_syncs_to_return);
}

void Dispatcher::flush_durable() {
    commit_.flush();
}

void Dispatcher::close_batch() {
    // Nothing more starts; the batch is made durable and its effects run,
    // muted: its acks are answered from the journal and its results re-sent
    // after the next welcome; its process starts finish their commands as
    // `failed`, not started, where dropping them would have left `running`
    // rows that the next start calls `interrupted` although they never ran.
    lifecycle_.stop_starting();
    commit_.close();
}

}  // namespace outpost::dispatch
