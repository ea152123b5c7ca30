#include "agent/runtime/status_source.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "agent/common/version.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "executors/policy/protections.hpp"
#include "executors/sandbox/protection.hpp"

namespace outpost::runtime {
namespace {

constexpr std::size_t kMaxUnrunnableShown = 64;

status::ConnectionInfo connection(const config::Config& config, const session::SessionSnapshot& s) {
    status::ConnectionInfo c;
    c.server_url = config.server.url;
    c.state = std::string(session::to_string(s.state));
    c.since = s.since;
    c.attempt = s.attempt;
    c.reconnects = s.reconnects;
    if (s.next_retry_in) c.next_attempt_in_ms = s.next_retry_in->count();
    if (s.last_error) {
        c.last_error = status::ErrorInfo{s.last_error->what, s.last_error->cause, s.last_error->at};
    }
    if (s.last_close_code) c.last_close_code = *s.last_close_code;
    c.token_expires_at = s.token_expiry;
    c.session_id = s.session_id;
    c.auth_failures = s.auth_failures;
    c.invalid_payloads = s.invalid_payloads;
    c.transitions = s.transitions;
    c.seal_failures = s.seal_failures;
    c.transport = std::string(session::to_string(s.transport.transport));
    c.transport_since = s.transport.since;
    c.transport_reason = s.transport.reason;
    return c;
}

status::SandboxInfo sandbox(const protocol::outbound::SandboxReport& report,
                            const ExecHelper& helper) {
    status::SandboxInfo s;
    s.active = report.active;
    for (const auto& [protection, detail] : report.unavailable) {
        s.unavailable.push_back(status::Unavailable{protection, detail});
    }
    if (!helper.path().empty()) s.exec_helper = helper.path();
    s.exec_helper_refused = helper.refused();
    return s;
}

status::TelemetryInfo telemetry_info(const telemetry::TelemetryPipeline& pipeline) {
    const telemetry::PipelineStatus p = pipeline.status();
    status::TelemetryInfo t;
    t.running = p.running;
    t.interval_ms = p.interval.count();
    if (p.last_seq) t.last_seq = static_cast<std::int64_t>(*p.last_seq);
    t.last_sample_at = p.last_sample_at;
    t.samples = p.samples;
    t.skipped_ticks = p.skipped_ticks;
    t.unsendable_samples = p.unsendable_samples;
    t.lag_p50_us = static_cast<std::uint64_t>(p.lag.p50.count());
    t.lag_p99_us = static_cast<std::uint64_t>(p.lag.p99.count());
    t.lag_max_us = static_cast<std::uint64_t>(p.lag.max.count());
    for (const telemetry::CollectorStatus& c : p.collectors) {
        t.collectors.push_back(status::CollectorInfo{.name = c.name,
                                                     .enabled = c.enabled,
                                                     .last_sample = c.last_sample,
                                                     .last_error = c.last_error,
                                                     .skipped = c.skipped,
                                                     .note = c.note});
    }
    return t;
}

}  // namespace

std::map<std::string, std::string, std::less<>> unrunnable_entries(
    const config::ExecutorConfig& executor, const executors::Capabilities& caps) {
    std::map<std::string, std::string, std::less<>> out;
    for (const config::CommandEntry& entry : executor.commands) {
        std::string why;
        for (config::Protection required : entry.required_protections) {
            const std::string_view name = executors::protection_name(required);
            for (const auto& p : caps.protections) {
                if (p.available || p.protection != required) continue;
                why += fmt::format("{}requires {}, unavailable: {}", why.empty() ? "" : "; ", name,
                                   p.detail);
            }
        }
        if (!why.empty()) out.emplace(entry.name, std::move(why));
    }
    return out;
}

namespace {

std::vector<status::AlertInfo> firing_alerts(const alerts::AlertMonitor& monitor) {
    std::vector<status::AlertInfo> out;
    for (const auto& alert : monitor.firing()) {
        out.push_back(status::AlertInfo{
            .alert_id = alert.alert_id,
            .rule = alert.rule,
            .subject = alert.subject,
            .severity = std::string(protocol::outbound::to_string(alert.severity)),
            .value = alert.value,
            .threshold = alert.threshold,
            .since = protocol::parse_rfc3339(alert.since).value_or(status::TimePoint{})});
    }
    return out;
}

}  // namespace

status::StatusReport collect_status(const StatusSources& sources) {
    status::StatusReport report;
    report.generated_at = std::chrono::system_clock::now();
    report.agent = status::AgentInfo{std::string(kAgentVersion), sources.identity.node_id,
                                     static_cast<std::int64_t>(::getpid()), sources.started_at};
    report.connection = connection(sources.config, sources.driver.snapshot());

    dispatch::Dispatcher::Counts counts = sources.dispatcher.counts();
    status::CommandsInfo& commands = report.commands;
    commands.running = counts.running;
    commands.queued = counts.queued;
    commands.awaiting_approval = counts.awaiting_approval;
    commands.results_unacknowledged = counts.results_unacknowledged;
    commands.max_concurrent = sources.config.executor.max_concurrent;
    commands.allow_list_entries = sources.config.executor.commands.size();
    // Bounded, so the answer always fits one socket buffer (StatusServer
    // sends it with one non-blocking send); the log at start has them all.
    for (const auto& [name, why] : sources.unrunnable) {
        if (commands.unrunnable.size() == kMaxUnrunnableShown) {
            commands.unrunnable.emplace(
                fmt::format("(and {} more)", sources.unrunnable.size() - kMaxUnrunnableShown),
                "listed in the agent's log at start-up");
            break;
        }
        commands.unrunnable.emplace(name, why);
    }

    report.journal.path = sources.journal_path;
    report.journal.sync = std::string(journal::to_string(sources.config.journal.sync));
    report.journal.detail = sources.dispatcher.journal_problem();
    report.journal.state = report.journal.detail.empty() ? "ok" : "fail";
    if (auto kept = sources.outbox.kept()) {
        report.journal.outbox_messages = static_cast<std::int64_t>(*kept);
    }

    report.sandbox = sandbox(sources.sandbox, sources.helper);

    protocol::outbound::Health health = sources.dispatcher.health();
    const auto& checks = health.checks;
    for (auto [name, result] : {std::pair{"agent", checks.agent},
                                {"disk", checks.disk},
                                {"memory", checks.memory},
                                {"database", checks.database},
                                {"containers", checks.containers}}) {
        report.checks.results.emplace(name, protocol::outbound::to_string(result));
    }
    report.checks.details = {health.details.begin(), health.details.end()};
    if (sources.alerts != nullptr) report.alerts = firing_alerts(*sources.alerts);
    if (sources.telemetry != nullptr) report.telemetry = telemetry_info(*sources.telemetry);
    report.warnings = sources.warnings;
    if (!report.journal.detail.empty()) {
        report.warnings.push_back("no command can run: " + report.journal.detail);
    }
    return report;
}

}  // namespace outpost::runtime
