// StatusReport → the status socket's JSON (field list: docs/status.md).
#include "agent/common/json/json_writer.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "agent/status/report.hpp"
#include "agent/status/telemetry_section.hpp"

namespace outpost::status {
namespace {

using json::JsonWriter;

void time_member(JsonWriter& w, std::string_view name, TimePoint at) {
    w.member(name, protocol::format_rfc3339(at));
}

void counters(JsonWriter& w, std::string_view name, const Counters& values) {
    w.key(name).begin_object();
    for (const auto& [key, n] : values) w.member(key, n);
    w.end_object();
}

void strings(JsonWriter& w, std::string_view name, const std::vector<std::string>& values) {
    w.key(name).begin_array();
    for (const std::string& value : values) w.string(value);
    w.end_array();
}

void string_map(JsonWriter& w, std::string_view name,
                const std::map<std::string, std::string, std::less<>>& values) {
    w.key(name).begin_object();
    for (const auto& [key, value] : values) w.member(key, value);
    w.end_object();
}

void alerts(JsonWriter& w, const std::vector<AlertInfo>& firing) {
    w.key("alerts").begin_array();
    for (const AlertInfo& alert : firing) {
        w.begin_object();
        w.member("alert_id", alert.alert_id);
        w.member("rule", alert.rule);
        w.member("subject", alert.subject);
        w.member("severity", alert.severity);
        w.member("value", alert.value);
        w.member("threshold", alert.threshold);
        time_member(w, "since", alert.since);
        w.end_object();
    }
    w.end_array();
}

void connection(JsonWriter& w, const ConnectionInfo& c) {
    w.key("connection").begin_object();
    w.member("server_url", c.server_url);
    w.member("state", c.state);
    time_member(w, "since", c.since);
    w.member("attempt", c.attempt);
    w.member("reconnects", c.reconnects);
    w.member("next_attempt_in_ms", c.next_attempt_in_ms);
    if (c.last_error) {
        w.key("last_error").begin_object();
        w.member("what", c.last_error->what);
        w.member("cause", c.last_error->cause);
        time_member(w, "at", c.last_error->at);
        w.end_object();
    } else {
        w.key("last_error").null();
    }
    w.member("last_close_code", c.last_close_code);
    if (c.token_expires_at) {
        time_member(w, "token_expires_at", *c.token_expires_at);
    } else {
        w.key("token_expires_at").null();
    }
    w.member("session_id", c.session_id);
    counters(w, "auth_failures", c.auth_failures);
    counters(w, "invalid_payloads", c.invalid_payloads);
    counters(w, "transitions", c.transitions);
    counters(w, "seal_failures", c.seal_failures);
    w.member("transport", c.transport);
    time_member(w, "transport_since", c.transport_since);
    w.member("transport_reason", c.transport_reason);
    w.end_object();
}

void commands(JsonWriter& w, const CommandsInfo& c) {
    w.key("commands").begin_object();
    w.member("running", c.running);
    w.member("queued", c.queued);
    w.member("awaiting_approval", c.awaiting_approval);
    w.member("results_unacknowledged", c.results_unacknowledged);
    w.member("max_concurrent", c.max_concurrent);
    w.member("allow_list_entries", c.allow_list_entries);
    string_map(w, "unrunnable", c.unrunnable);
    w.end_object();
}

void sandbox(JsonWriter& w, const SandboxInfo& s) {
    w.key("sandbox").begin_object();
    strings(w, "active", s.active);
    w.key("unavailable").begin_array();
    for (const Unavailable& u : s.unavailable) {
        w.begin_object().member("protection", u.protection).member("detail", u.detail).end_object();
    }
    w.end_array();
    w.member("exec_helper", s.exec_helper);
    strings(w, "exec_helper_refused", s.exec_helper_refused);
    w.end_object();
}

}  // namespace

std::string to_json(const StatusReport& report) {
    JsonWriter w;
    w.reserve(2048);
    w.begin_object();
    w.member("format", kFormat);
    time_member(w, "generated_at", report.generated_at);
    w.key("agent").begin_object();
    w.member("version", report.agent.version);
    w.member("node_id", report.agent.node_id);
    w.member("pid", report.agent.pid);
    time_member(w, "started_at", report.agent.started_at);
    w.end_object();
    connection(w, report.connection);
    commands(w, report.commands);
    w.key("journal").begin_object();
    w.member("path", report.journal.path);
    w.member("sync", report.journal.sync);
    w.member("state", report.journal.state);
    w.member("detail", report.journal.detail);
    w.member("outbox_messages", report.journal.outbox_messages);
    w.end_object();
    sandbox(w, report.sandbox);
    w.key("checks").begin_object();
    string_map(w, "results", report.checks.results);
    string_map(w, "details", report.checks.details);
    w.end_object();
    write_telemetry(w, report.telemetry);
    alerts(w, report.alerts);
    strings(w, "warnings", report.warnings);
    w.end_object();
    return std::move(w).take();
}

}  // namespace outpost::status
