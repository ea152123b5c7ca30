#include "agent/metrics/agent_metrics.hpp"

#include <sys/stat.h>

#include <array>
#include <chrono>

namespace outpost::metrics {
namespace {

using C = MetricType;

// Every state session::State has, so each has a series (0 or 1): a query for
// "not online" works without knowing which states exist.
constexpr std::array<std::string_view, 8> kConnectionStates{
    "connecting", "awaiting_welcome", "online",       "backoff",
    "revoked",    "incompatible",     "unauthorized", "shutting_down"};

double seconds_since_epoch(status::TimePoint at) {
    return std::chrono::duration<double>(at.time_since_epoch()).count();
}

void labelled_counter(ExpositionWriter& w, std::string_view name, std::string_view label,
                      const std::map<std::string, std::uint64_t, std::less<>>& counts,
                      std::string_view help) {
    w.family(name, C::counter, help);
    for (const auto& [key, count] : counts) {
        w.sample(name, {{label, key}}, static_cast<double>(count));
    }
}

void agent_families(ExpositionWriter& w, const status::StatusReport& r) {
    w.family("outpost_build_info", C::gauge, "The agent's version; always 1.");
    w.sample("outpost_build_info", {{"version", r.agent.version}}, 1);
    w.family("outpost_node_info", C::gauge, "This node's id; always 1.");
    w.sample("outpost_node_info", {{"node_id", r.agent.node_id}}, 1);
    w.family("outpost_start_time_seconds", C::gauge,
             "When the agent started, seconds since the Unix epoch.");
    w.sample("outpost_start_time_seconds", {}, seconds_since_epoch(r.agent.started_at));
    w.family("outpost_status_warnings", C::gauge,
             "Configuration problems `outpost status` lists under warnings.");
    w.sample("outpost_status_warnings", {}, static_cast<double>(r.warnings.size()));
}

void connection_families(ExpositionWriter& w, const status::ConnectionInfo& c,
                         status::TimePoint now) {
    w.family("outpost_connection_state", C::gauge,
             "1 for the connection's current state, 0 for the others.");
    for (std::string_view state : kConnectionStates) {
        w.sample("outpost_connection_state", {{"state", state}}, state == c.state ? 1 : 0);
    }
    w.family("outpost_connection_state_since_seconds", C::gauge,
             "When the connection entered its current state, seconds since the Unix epoch.");
    w.sample("outpost_connection_state_since_seconds", {}, seconds_since_epoch(c.since));
    w.family("outpost_connection_failed_attempts", C::gauge,
             "Consecutive connection attempts that did not reach online.");
    w.sample("outpost_connection_failed_attempts", {}, static_cast<double>(c.attempt));
    labelled_counter(w, "outpost_connection_transitions_total", "state", c.transitions,
                     "Entries into each connection state.");
    labelled_counter(w, "outpost_auth_failures_total", "reason", c.auth_failures,
                     "Authentication failures, by reason.");
    labelled_counter(w, "outpost_invalid_payloads_total", "code", c.invalid_payloads,
                     "Invalid messages from the control plane, by protocol error code.");
    labelled_counter(w, "outpost_seal_failures_total", "kind", c.seal_failures,
                     "Sealed messages refused, by kind.");
    if (c.token_expires_at) {
        w.family("outpost_token_remaining_seconds", C::gauge,
                 "Seconds until the access token expires (negative once expired).");
        w.sample("outpost_token_remaining_seconds", {},
                 std::chrono::duration<double>(*c.token_expires_at - now).count());
    }
}

void command_families(ExpositionWriter& w, const status::CommandsInfo& c) {
    w.family("outpost_commands", C::gauge, "Commands now, by state.");
    w.sample("outpost_commands", {{"state", "running"}}, static_cast<double>(c.running));
    w.sample("outpost_commands", {{"state", "queued"}}, static_cast<double>(c.queued));
    w.sample("outpost_commands", {{"state", "awaiting_approval"}},
             static_cast<double>(c.awaiting_approval));
    w.family("outpost_results_unacknowledged", C::gauge,
             "Finished commands whose result the control plane has not acknowledged.");
    w.sample("outpost_results_unacknowledged", {}, static_cast<double>(c.results_unacknowledged));
    w.family("outpost_commands_max_concurrent", C::gauge, "executor.max_concurrent.");
    w.sample("outpost_commands_max_concurrent", {}, static_cast<double>(c.max_concurrent));
    w.family("outpost_allow_list_entries", C::gauge, "Entries in the allow-list.");
    w.sample("outpost_allow_list_entries", {}, static_cast<double>(c.allow_list_entries));
    w.family("outpost_allow_list_unrunnable_entries", C::gauge,
             "Allow-list entries that need a protection this kernel lacks.");
    w.sample("outpost_allow_list_unrunnable_entries", {}, static_cast<double>(c.unrunnable.size()));
}

void journal_families(ExpositionWriter& w, const status::JournalInfo& j,
                      std::optional<std::uint64_t> bytes) {
    w.family("outpost_journal_ok", C::gauge,
             "1 while the command journal works, 0 once it failed.");
    w.sample("outpost_journal_ok", {}, j.state == "ok" ? 1 : 0);
    if (bytes) {
        w.family("outpost_journal_size_bytes", C::gauge,
                 "The journal's files (database, WAL, shared memory), bytes.");
        w.sample("outpost_journal_size_bytes", {}, static_cast<double>(*bytes));
    }
    if (j.outbox_messages) {
        w.family("outpost_outbox_messages", C::gauge,
                 "Messages in the outbox not yet confirmed by the control plane.");
        w.sample("outpost_outbox_messages", {}, static_cast<double>(*j.outbox_messages));
    }
}

void sandbox_families(ExpositionWriter& w, const status::SandboxInfo& s) {
    w.family("outpost_sandbox_protection_active", C::gauge,
             "1 for each sandbox protection the host offers, 0 for each it lacks.");
    for (const std::string& p : s.active) {
        w.sample("outpost_sandbox_protection_active", {{"protection", p}}, 1);
    }
    for (const status::Unavailable& u : s.unavailable) {
        w.sample("outpost_sandbox_protection_active", {{"protection", u.protection}}, 0);
    }
}

void health_families(ExpositionWriter& w, const status::StatusReport& r) {
    w.family("outpost_health_check", C::gauge,
             "1 for each health check's current result (ok, warn, fail, skipped).");
    for (const auto& [check, result] : r.checks.results) {
        w.sample("outpost_health_check", {{"check", check}, {"result", result}}, 1);
    }
    std::map<std::string, std::uint64_t, std::less<>> firing{
        {"critical", 0}, {"warning", 0}, {"info", 0}};
    for (const status::AlertInfo& a : r.alerts) ++firing[a.severity];
    w.family("outpost_alerts_firing", C::gauge, "Alerts firing now, by severity.");
    for (const auto& [severity, count] : firing) {
        w.sample("outpost_alerts_firing", {{"severity", severity}}, static_cast<double>(count));
    }
}

void telemetry_families(ExpositionWriter& w, const status::TelemetryInfo& t) {
    w.family("outpost_telemetry_samples_total", C::counter, "Telemetry samples taken.");
    w.sample("outpost_telemetry_samples_total", {}, static_cast<double>(t.samples));
    w.family("outpost_telemetry_skipped_ticks_total", C::counter,
             "Telemetry ticks skipped because the previous sample was still running.");
    w.sample("outpost_telemetry_skipped_ticks_total", {}, static_cast<double>(t.skipped_ticks));
    w.family("outpost_telemetry_unsendable_samples_total", C::counter,
             "Samples over protocol.max_message_bytes even trimmed; not sent.");
    w.sample("outpost_telemetry_unsendable_samples_total", {},
             static_cast<double>(t.unsendable_samples));
    w.family("outpost_telemetry_collector_up", C::gauge,
             "1 when the collector's last run worked, 0 when it failed or found no source.");
    for (const status::CollectorInfo& c : t.collectors) {
        if (!c.enabled) continue;
        const bool up = c.last_error.empty() && !c.skipped && c.last_sample.has_value();
        w.sample("outpost_telemetry_collector_up", {{"collector", c.name}}, up ? 1 : 0);
    }
    w.family("outpost_telemetry_collector_last_success_timestamp_seconds", C::gauge,
             "When the collector last worked, seconds since the Unix epoch.");
    for (const status::CollectorInfo& c : t.collectors) {
        if (!c.last_sample) continue;
        w.sample("outpost_telemetry_collector_last_success_timestamp_seconds",
                 {{"collector", c.name}}, seconds_since_epoch(*c.last_sample));
    }
    w.family("outpost_loop_lag_seconds", C::gauge,
             "The service loop's lag over its recent probes: p50, p99 and max.");
    w.sample("outpost_loop_lag_seconds", {{"stat", "p50"}},
             static_cast<double>(t.lag_p50_us) / 1e6);
    w.sample("outpost_loop_lag_seconds", {{"stat", "p99"}},
             static_cast<double>(t.lag_p99_us) / 1e6);
    w.sample("outpost_loop_lag_seconds", {{"stat", "max"}},
             static_cast<double>(t.lag_max_us) / 1e6);
}

void instrument_families(ExpositionWriter& w, const Instruments& in) {
    labelled_counter(w, "outpost_reconnects_total", "reason", in.reconnects,
                     "Connection attempts that ended and will be retried, by the error that ended "
                     "them.");
    labelled_counter(w, "outpost_commands_finished_total", "state", in.commands_finished,
                     "Commands that reached a final state, by the state.");
    w.family("outpost_command_duration_seconds", C::histogram,
             "How long finished commands ran, seconds.");
    w.histogram("outpost_command_duration_seconds", {}, in.command_duration);
    w.family("outpost_command_ack_latency_seconds", C::histogram,
             "From a command message's arrival to its command_ack being sent, seconds.");
    w.histogram("outpost_command_ack_latency_seconds", {}, in.ack_latency);
    w.family("outpost_journal_sync_duration_seconds", C::histogram,
             "How long each journal commit's sync (fsync) took, seconds.");
    w.histogram("outpost_journal_sync_duration_seconds", {}, in.journal_sync);
}

void process_families(ExpositionWriter& w, const ProcessStats& p) {
    w.family("process_cpu_seconds_total", C::counter,
             "Total user and system CPU time spent in seconds.");
    w.sample("process_cpu_seconds_total", {}, p.cpu_seconds);
    w.family("process_resident_memory_bytes", C::gauge, "Resident memory size in bytes.");
    w.sample("process_resident_memory_bytes", {}, static_cast<double>(p.resident_bytes));
    w.family("process_virtual_memory_bytes", C::gauge, "Virtual memory size in bytes.");
    w.sample("process_virtual_memory_bytes", {}, static_cast<double>(p.virtual_bytes));
    w.family("process_open_fds", C::gauge, "Number of open file descriptors.");
    w.sample("process_open_fds", {}, static_cast<double>(p.open_fds));
    if (p.max_fds) {
        w.family("process_max_fds", C::gauge, "Maximum number of open file descriptors.");
        w.sample("process_max_fds", {}, static_cast<double>(*p.max_fds));
    }
    w.family("process_start_time_seconds", C::gauge,
             "Start time of the process since unix epoch in seconds.");
    w.sample("process_start_time_seconds", {}, p.start_time_seconds);
}

}  // namespace

std::string render_agent_metrics(const MetricsInput& input) {
    const status::StatusReport& r = input.report;
    ExpositionWriter w;
    agent_families(w, r);
    connection_families(w, r.connection, r.generated_at);
    command_families(w, r.commands);
    journal_families(w, r.journal, input.journal_bytes);
    sandbox_families(w, r.sandbox);
    health_families(w, r);
    if (r.telemetry) telemetry_families(w, *r.telemetry);
    if (input.instruments) instrument_families(w, *input.instruments);
    if (input.process) process_families(w, *input.process);
    return w.take();
}

std::optional<std::uint64_t> journal_file_bytes(const std::string& path) {
    if (path.empty()) return std::nullopt;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    std::uint64_t total = static_cast<std::uint64_t>(st.st_size);
    for (const char* suffix : {"-wal", "-shm"}) {
        if (::stat((path + suffix).c_str(), &st) == 0)
            total += static_cast<std::uint64_t>(st.st_size);
    }
    return total;
}

}  // namespace outpost::metrics
