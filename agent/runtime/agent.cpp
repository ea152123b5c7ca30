#include "agent/runtime/agent.hpp"

#include <csignal>

#include "agent/alerts/alert_state_codec.hpp"
#include "agent/common/version.hpp"
#include "agent/log/log.hpp"
#include "agent/logs/streams/open_source.hpp"
#include "agent/metrics/agent_metrics.hpp"
#include "agent/runtime/banner.hpp"
#include "agent/runtime/connection_settings.hpp"
#include "agent/runtime/hello.hpp"
#include "agent/runtime/node_condition.hpp"
#include "agent/runtime/session_parts.hpp"
#include "collectors/registry.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";
// How long a graceful stop waits for `status{offline}` and the close frame.
constexpr std::chrono::seconds kDrainLimit{3};
// A journal sync this slow (a good disk takes well under 1 ms; SD cards,
// eMMC and disks busy with writeback take tens of ms to seconds) moves the
// group commit's syncs off the loop, until the disk is fast again
// (Dispatcher::enable_group_commit).
constexpr std::chrono::milliseconds kSlowJournalSync{10};
// Held-command expiry and journal retention run this often.
constexpr std::chrono::seconds kMaintenanceEvery{30};

}  // namespace

Agent::Agent(AgentBase base, ReloadableAllowList::Built allow_list)
    : config_(base.config),
      started_at_(base.started_at),
      identity_(base.identity),
      loop_(base.loop),
      journal_(base.journal),
      runtime_(base.runtime),
      notifier_(loop_),
      host_(HostFacts::probe(config_)),
      runner_(loop_, host_.caps,
              executors::Runner::Options{.max_concurrent = config_.executor.max_concurrent,
                                         .exec_helper = [this] { return host_.helper.for_run(); }}),
      allow_list_(std::move(allow_list)),
      driver_(config_, identity_, websocket_session_parts(loop_, config_, identity_)),
      streams_(
          loop_,
          logs::streams::StreamManager::Settings{
              .logs = config_.logs, .max_message_bytes = outbound_message_limit(config_)},
          logs::streams::open_source,
          logs::streams::StreamLinks{
              .send =
                  [this](protocol::outbound::Body body) { return driver_.send(std::move(body)); },
              // Half the mark: a full stream leaves the rest to pongs,
              // acks and results (docs/log-streaming.md, "Flow control").
              .backpressured = [this] { return driver_.half_backpressured(); },
              .online = [this] { return driver_.online(); }}),
      off_loop_sync_(start_off_loop_sync(loop_, journal_.get(),
                                         config_.journal.sync == journal::SyncMode::full)),
      dispatcher_(
          dispatch::DispatcherSettings{
              .node_id = identity_.node_id,
              .max_message_bytes = outbound_message_limit(config_),
              .max_concurrent = config_.executor.max_concurrent,
              .queue_limits = {.max_queued = config_.executor.max_queued,
                               .max_queued_stdin_bytes = config_.executor.max_queued_stdin_bytes},
              .command_public_key = config_.security.command_public_key,
              .journal_retention = config_.journal.retention,
              .state_dir = config_.node.state_dir,
              .on_config_update =
                  [this](std::string_view request_id, std::string_view config_json) {
                      return runtime_.accept(request_id, config_json);
                  },
              .on_invalid = [this](std::string_view code) { driver_.count_invalid_payload(code); },
              .on_held = [this] { arm_approval_expiry(); },
              .on_journal_failed = [this] { driver_.recheck_status(); },
              .restart_reason = host_.restart_reason,
              .on_health_check =
                  [this](std::string request_id) {
                      telemetry_.health_check(std::move(request_id));
                  },
              .on_command_finished =
                  [this](std::string_view state, std::int64_t duration_ms) {
                      metrics::bump(instruments_.commands_finished, state);
                      instruments_.command_duration.observe(static_cast<double>(duration_ms) /
                                                            1000.0);
                  },
              .on_journal_sync =
                  [this](std::chrono::steady_clock::duration took) {
                      instruments_.journal_sync.observe(
                          std::chrono::duration<double>(took).count());
                  },
              .on_ack_sent =
                  [this](std::chrono::steady_clock::duration took) {
                      instruments_.ack_latency.observe(std::chrono::duration<double>(took).count());
                  },
              .on_stream =
                  [this](const protocol::inbound::Body& body, const std::string& frame_id) {
                      return streams_.handle(body, frame_id);
                  }},
          journal_.get(), journal_.error(), allow_list_.policy(), runner_,
          [this](protocol::outbound::Body body) { return driver_.send(std::move(body)); },
          [] { return std::chrono::system_clock::now(); }),
      group_commit_(loop_),
      outbox_(
          loop_, journal_.get(),
          OutboxSender::Settings{.flush_rate = config_.outbox.flush_rate,
                                 .max_message_bytes = outbound_message_limit(config_)},
          OutboxSender::Link{
              .online = [this] { return driver_.online(); },
              .send = [this](std::string text) { return driver_.send_encoded(std::move(text)); },
              .probe = [this] { return driver_.send_probe(); },
              .paused = [this] { return driver_.backpressured(); }}),
      alerts_(runtime_.effective().alerts.rules, alert_hooks()),
      telemetry_(
          loop_, journal_.get(), telemetry_settings(),
          telemetry::TelemetryPipeline::Hooks{
              .post = [this](protocol::outbound::Body body) { outbox_.post(std::move(body)); },
              .send =
                  [this](protocol::outbound::Body body) { return driver_.send(std::move(body)); },
              .commands_running = [this] { return dispatcher_.counts().running; },
              .journal_problem = [this] { return dispatcher_.journal_problem(); }},
          collectors::make_collectors(config_.collectors, collectors::Roots{})),
      reloader_(base.config_path, started_at_,
                ConfigReloader::Parts{.runtime = runtime_, .allow_list = allow_list_}),
      status_sources_{
          // The config in force: the allow-list and the intervals a reload
          // or config_update changed, not only the start-up file's.
          .config = runtime_.effective(),
          .identity = identity_,
          .started_at = started_at_,
          .driver = driver_,
          .dispatcher = dispatcher_,
          .sandbox = host_.sandbox,
          .unrunnable = host_.unrunnable,
          .helper = host_.helper,
          .journal_path = journal_.path().native(),
          .outbox = outbox_,
          .warnings = host_.warnings,
          .alerts = &alerts_,
          .telemetry = &telemetry_,
          .config_info = &reloader_.info(),
          .streams = &streams_,
      },
      approval_expiry_(loop_),
      maintenance_(loop_) {
    log::info(kLog, "{}",
              startup_banner(BannerFacts{.node_id = identity_.node_id,
                                         .config_path = reloader_.info().path,
                                         .config = config_,
                                         .sandbox = host_.sandbox}));
    dispatcher_.recover();
    // Group commit (journal.sync: full): the batch of one loop pass is
    // synced at the start of the next, before poll() waits again; on the
    // loop until one sync takes kSlowJournalSync, then on the sync thread.
    dispatcher_.enable_group_commit(
        [this](std::function<void()> flush) {
            group_commit_.schedule(std::chrono::microseconds(1), std::move(flush));
        },
        off_loop_sync_.thread.get(), kSlowJournalSync);
    driver_.set_hooks(session_hooks());
    start_status_server();
    start_metrics();
    arm_approval_expiry();
    // protocol.md §3.2: health every health.interval and telemetry every
    // telemetry.interval (or welcome.telemetry_s), both re-armed from now
    // when a config_update changes them.
    runtime_.on_health_interval_changed(
        [this] { telemetry_.set_health_interval(runtime_.effective().health.interval); });
    runtime_.on_telemetry_interval_changed(
        [this] { telemetry_.set_configured_interval(runtime_.effective().telemetry.interval); });
    runtime_.on_alerts_changed([this] { alerts_.set_rules(runtime_.effective().alerts.rules); });
    telemetry_.on_sample = [this](const protocol::outbound::Telemetry& sample) {
        on_sample(sample);
    };
    telemetry_.on_health = [this](const protocol::outbound::Health& health) { on_health(health); };
    telemetry_.start();
    reloader_.add_observer([this](const config::Config& in_force) { on_reloaded(in_force); });
    // systemd (Type=notify): RELOADING=1 while a SIGHUP reload runs, READY=1 after it.
    reloader_.around_reload([this] { notifier_.reloading(); }, [this] { notifier_.ready(); });
    maintain();
    loop_.on_signal([this](int signal) { on_signal(signal); });
}

Agent::~Agent() {
    // The loop and the runtime config outlive the agent: nothing of them may
    // call back into it.
    loop_.on_signal(nullptr);
    runtime_.on_health_interval_changed(nullptr);
    runtime_.on_alerts_changed(nullptr);
    runtime_.on_telemetry_interval_changed(nullptr);
}

// What the rest of the agent contributes to each session.
SessionDriver::Hooks Agent::session_hooks() {
    return SessionDriver::Hooks{
        .on_message = [this](const protocol::InboundMessage& m) { dispatcher_.handle(m); },
        .on_online =
            [this] {
                // Streams are not journaled: those of the last session
                // ended with it (docs/log-streaming.md, "Sessions").
                streams_.on_session_start();
                dispatcher_.resend_undelivered();
                outbox_.start_session();
            },
        .backlog =
            [this] {
                return protocol::outbound::Backlog{dispatcher_.backlog_results(),
                                                   outbox_.backlog()};
            },
        .capabilities = advertised_capabilities(config_),
        .sandbox = host_.sandbox,
        .journal = journal_report(journal_.get(), journal_.path()),
        .on_pong = [this](std::string_view ref) { outbox_.on_pong(ref); },
        .degraded_reason = [this] { return degraded_reason(); },
        // Results refused over the send queue's mark (the outbox resumes by itself).
        .on_send_queue_drained = [this] { dispatcher_.resend_undelivered(); },
        .on_telemetry_interval =
            [this](std::optional<std::uint32_t> seconds) {
                telemetry_.set_server_interval(seconds);
            },
        .on_state_changed =
            [this] {
                const session::SessionSnapshot snapshot = driver_.snapshot();
                instruments_.on_connection_state(snapshot);
                notifier_.status(connection_status_text(config_.server.url, snapshot));
            },
    };
}

// `outpost status`. Without it the agent still does its job, so a socket it
// cannot serve is an error in the log, not a reason to stop.
void Agent::start_status_server() {
    auto started = status::StatusServer::start(
        loop_, config_.status.socket,
        [this] { return status::to_json(collect_status(status_sources_)); },
        [this] { return shared_metrics_.text(); });
    if (!started) {
        log::error(kLog, "status: {}; `outpost status` will not answer", started.error().message());
        return;
    }
    status_server_ = std::move(*started);
    log::info(kLog, "status: answering `outpost status` on {}", config_.status.socket);
}

// Like the status socket, the metrics are not what the agent is for: an
// address already in use is an error in the log, not a reason to stop.
void Agent::start_metrics() {
    if (config_.metrics.listen) {
        auto started = metrics::HttpEndpoint::start(loop_, *config_.metrics.listen,
                                                    [this] { return shared_metrics_.text(); });
        if (started) {
            http_metrics_ = std::move(*started);
            log::info(kLog, "metrics: serving GET /metrics on {}", *config_.metrics.listen);
        } else {
            log::error(kLog, "{}; not serving metrics over HTTP", started.error().message());
        }
    }
    if (!config_.metrics.textfile) return;
    textfile_ = std::make_unique<metrics::TextfilePublisher>(
        loop_, *config_.metrics.textfile,
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.metrics.textfile_interval),
        [this] { return render_metrics(); });
    log::info(kLog, "metrics: writing {} every {} s", *config_.metrics.textfile,
              std::chrono::duration_cast<std::chrono::seconds>(config_.metrics.textfile_interval)
                  .count());
}

std::string Agent::render_metrics() {
    const status::StatusReport report = collect_status(status_sources_);
    return metrics::render_agent_metrics(metrics::MetricsInput{
        .report = report,
        .instruments = &instruments_,
        .process = metrics::read_process_stats(),
        .journal_bytes = metrics::journal_file_bytes(report.journal.path),
    });
}

// Held commands expire at their deadline, not at the next maintenance tick:
// a timer for the earliest one, re-armed when a command is held and after
// each expiry.
void Agent::arm_approval_expiry() {
    auto next = dispatcher_.next_approval_deadline();
    if (!next) {
        approval_expiry_.cancel();
        return;
    }
    // The journal expires rows whose deadline is <= now: fire just after.
    // One already due means the last expiry failed (a journal error,
    // logged): try again in a second, not in a tight loop.
    auto delay = std::chrono::duration_cast<std::chrono::microseconds>(
                     *next - std::chrono::system_clock::now()) +
                 std::chrono::milliseconds(1);
    if (delay <= std::chrono::milliseconds(1)) delay = std::chrono::seconds(1);
    approval_expiry_.schedule(delay, [this] {
        dispatcher_.expire_approvals();
        arm_approval_expiry();
    });
}

telemetry::TelemetryPipeline::Settings Agent::telemetry_settings() const {
    const config::Config& in_force = runtime_.effective();
    return telemetry::TelemetryPipeline::Settings{
        .node_id = identity_.node_id,
        .version = std::string(kAgentVersion),
        .started_at = started_at_,
        .interval = in_force.telemetry.interval,
        .health_interval = in_force.health.interval,
        // Sealing (protocol.md §8) makes the outer message larger than the
        // inner one: split against what the inner message may be.
        .split = {.max_message_bytes = outbound_message_limit(config_)},
        .state_dir = config_.node.state_dir,
        .journal_path = journal_.get() != nullptr ? journal_.path().native() : std::string{},
        // The pipeline is made from config_.collectors (the file's: collectors
        // cannot change at runtime), so the disabled ones are the file's too.
        .disabled = collectors::disabled_collector_names(config_.collectors),
    };
}

// The alert states live in the journal's `state` table (alert_state_codec.hpp);
// without a journal they live in memory only.
alerts::AlertMonitor::Hooks Agent::alert_hooks() {
    return alerts::AlertMonitor::Hooks{
        .load = [this]() -> Expected<std::optional<std::string>> {
            journal::Journal* journal = journal_.get();
            if (journal == nullptr) return fail(ErrorKind::journal, journal_.error());
            return journal->get(alerts::kAlertStateKey);
        },
        .save = [this](std::string_view text) -> Expected<void> {
            journal::Journal* journal = journal_.get();
            if (journal == nullptr) return fail(ErrorKind::journal, journal_.error());
            return journal->put(alerts::kAlertStateKey, text);
        },
        .send =
            [this](protocol::outbound::Alert alert) { return outbox_.deliver(std::move(alert)); },
        .on_firing_changed = [this] { driver_.recheck_status(); },
    };
}

void Agent::on_sample(const protocol::outbound::Telemetry& sample) {
    alerts_.on_sample(sample, std::chrono::system_clock::now());
}

void Agent::on_health(const protocol::outbound::Health& health) {
    auto failing = failing_checks(health);
    if (failing == failing_health_) return;
    failing_health_ = std::move(failing);
    driver_.recheck_status();
}

std::optional<std::string> Agent::degraded_reason() const {
    return runtime::degraded_reason(dispatcher_.journal_problem(), alerts_.critical_reason(),
                                    failing_health_);
}

void Agent::maintain() {
    dispatcher_.maintain(config_.journal.retention);
    driver_.recheck_status();  // e.g. degraded once the journal failed
    maintenance_.schedule(kMaintenanceEvery, [this] { maintain(); });
}

void Agent::on_signal(int signal) {
    if (signal == SIGHUP) {
        if (!stopping_) reloader_.reload();
        return;
    }
    if (stopping_) return;
    stopping_ = true;
    notifier_.stopping();
    log::info(kLog, "{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    // stream_end for every open stream, before status{offline}.
    streams_.end_all("agent stopping");
    driver_.shutdown("agent stopping");
    loop_.stop();
}

void Agent::on_reloaded(const config::Config& in_force) {
    host_.unrunnable = unrunnable_entries(in_force.executor, host_.caps);
    for (const auto& [name, why] : host_.unrunnable) {
        log::warn(kLog, "allow-list entry {} cannot run on this host: {}", name, why);
    }
    // Streams whose source was removed or changed end (stream_end).
    streams_.apply_config(in_force.logs);
}

void Agent::run() {
    driver_.start();
    // The journal was restored by the constructor (dispatcher_.recover());
    // READY=1 goes on the loop's first pass, not when online: a node that
    // cannot reach the control plane is running, and says why in STATUS=.
    notifier_.status(connection_status_text(config_.server.url, driver_.snapshot()));
    notifier_.start();
    loop_.run();
    stop();
}

void Agent::stop() {
    notifier_.stopping();  // also when the loop ended for another reason
    maintenance_.cancel();
    approval_expiry_.cancel();
    telemetry_.stop();
    runtime_.on_health_interval_changed(nullptr);
    runtime_.on_telemetry_interval_changed(nullptr);
    // Group commit off and nothing new starts while stopping; what the open
    // batch wrote is made durable.
    group_commit_.cancel();
    dispatcher_.close_batch();
    // Let the offline status and then the close frame go out, boundedly.
    loop_.run_until([this] { return driver_.flushed(); }, kDrainLimit);
    driver_.close_for_shutdown();
    loop_.run_until([this] { return driver_.idle(); }, kDrainLimit);
    // Running commands are killed by the runner's destructor; their rows
    // stay `running` and become `interrupted` at the next start.
}

}  // namespace outpost::runtime
