// StatusReport → what `outpost status` prints: one line per topic, details
// indented under it, nothing that needs a terminal.
#include <fmt/format.h>

#include "agent/common/printable.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "agent/status/report.hpp"
#include "agent/status/telemetry_section.hpp"

namespace outpost::status {

std::string printable(std::string_view text) {
    return outpost::printable(text, Tabs::escape);
}

namespace {

using std::chrono::milliseconds;

void make_printable(std::string& text) {
    text = printable(text);
}

template <class Map>
Map printable_map(const Map& in) {
    Map out;
    for (const auto& [key, value] : in) {
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
            out.emplace(printable(key), printable(value));
        } else {
            out.emplace(printable(key), value);
        }
    }
    return out;
}

// Every string of the answer made printable: strings in it include text
// from the server (close reasons, error causes).
StatusReport printable_report(StatusReport r) {
    for (std::string* s :
         {&r.agent.version, &r.agent.node_id, &r.connection.server_url, &r.connection.state,
          &r.journal.path, &r.journal.sync, &r.journal.state, &r.journal.detail}) {
        make_printable(*s);
    }
    if (r.connection.last_error) {
        make_printable(r.connection.last_error->what);
        make_printable(r.connection.last_error->cause);
    }
    if (r.connection.session_id) make_printable(*r.connection.session_id);
    r.connection.auth_failures = printable_map(r.connection.auth_failures);
    r.connection.invalid_payloads = printable_map(r.connection.invalid_payloads);
    r.connection.seal_failures = printable_map(r.connection.seal_failures);
    make_printable(r.connection.transport);
    make_printable(r.connection.transport_reason);
    r.commands.unrunnable = printable_map(r.commands.unrunnable);
    for (std::string& s : r.sandbox.active) make_printable(s);
    for (Unavailable& u : r.sandbox.unavailable) {
        make_printable(u.protection);
        make_printable(u.detail);
    }
    if (r.sandbox.exec_helper) make_printable(*r.sandbox.exec_helper);
    for (std::string& s : r.sandbox.exec_helper_refused) make_printable(s);
    r.checks.results = printable_map(r.checks.results);
    r.checks.details = printable_map(r.checks.details);
    for (std::string& s : r.warnings) make_printable(s);
    for (AlertInfo& a : r.alerts) {
        for (std::string* s : {&a.alert_id, &a.rule, &a.subject, &a.severity}) make_printable(*s);
    }
    return r;
}

// 250ms, 4.2s, 12m 3s, 2h 3m, 3d 4h: two units at most, enough to act on.
// The magnitude only: callers say "ago" or "in". Unsigned, so that even
// INT64_MIN from a bad answer has one.
std::string human(milliseconds d) {
    const std::int64_t signed_ms = d.count();
    const std::uint64_t ms = signed_ms < 0 ? 0 - static_cast<std::uint64_t>(signed_ms)
                                           : static_cast<std::uint64_t>(signed_ms);
    if (ms < 1000) return fmt::format("{}ms", ms);
    if (ms < 10'000) return fmt::format("{}.{}s", ms / 1000, (ms % 1000) / 100);
    const std::uint64_t s = ms / 1000;
    if (s < 3600) return s < 60 ? fmt::format("{}s", s) : fmt::format("{}m {}s", s / 60, s % 60);
    if (s < 86400) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
}

// In milliseconds before subtracting: two times centuries apart (the
// parser accepts 1678..2262) overflow a nanosecond difference.
milliseconds between(TimePoint from, TimePoint to) {
    using std::chrono::duration_cast;
    return duration_cast<milliseconds>(to.time_since_epoch()) -
           duration_cast<milliseconds>(from.time_since_epoch());
}

std::string ago(TimePoint at, TimePoint now) {
    milliseconds d = between(at, now);
    return d.count() >= 0 ? human(d) + " ago" : "in " + human(d);
}

std::string join_counters(const Counters& counters) {
    std::string out;
    for (const auto& [name, n] : counters) {
        if (!out.empty()) out += ", ";
        out += fmt::format("{} {}", name, n);
    }
    return out;
}

void connection(std::string& out, const ConnectionInfo& c, TimePoint now) {
    out += fmt::format("connection: {} for {} (since {})\n", c.state, human(between(c.since, now)),
                       protocol::format_rfc3339(c.since));
    out += fmt::format("  server: {}\n", c.server_url);
    if (c.transport_reason.empty()) {
        out += fmt::format("  transport: {}\n", c.transport);
    } else {
        out += fmt::format("  transport: {} since {} ({})\n", c.transport,
                           protocol::format_rfc3339(c.transport_since), c.transport_reason);
    }
    if (c.session_id) out += fmt::format("  session: {}\n", *c.session_id);
    if (c.token_expires_at) {
        milliseconds left = between(now, *c.token_expires_at);
        out += left.count() > 0 ? fmt::format("  token: expires in {}\n", human(left))
                                : fmt::format("  token: expired {} ago\n", human(left));
    }
    if (c.next_attempt_in_ms) {
        out += fmt::format("  next attempt: in {} ({} failed in a row)\n",
                           human(milliseconds(*c.next_attempt_in_ms)), c.attempt);
    }
    if (c.last_error) {
        out += fmt::format("  last error: {}{}{} ({})\n", c.last_error->what,
                           c.last_error->cause.empty() ? "" : ": ", c.last_error->cause,
                           ago(c.last_error->at, now));
    }
    if (c.last_close_code) out += fmt::format("  last close code: {}\n", *c.last_close_code);
    out += fmt::format("  reconnects: {}\n", c.reconnects);
    if (!c.auth_failures.empty()) {
        out += fmt::format("  auth failures: {}\n", join_counters(c.auth_failures));
    }
    if (!c.invalid_payloads.empty()) {
        out += fmt::format("  invalid messages from the server: {}\n",
                           join_counters(c.invalid_payloads));
    }
    if (!c.seal_failures.empty()) {
        out += fmt::format("  sealed messages refused (closed with 1008): {}\n",
                           join_counters(c.seal_failures));
    }
}

void commands(std::string& out, const CommandsInfo& c) {
    out += fmt::format(
        "commands: {} running, {} queued (at most {} at once), {} awaiting approval, {} "
        "result{} not acknowledged yet\n",
        c.running, c.queued, c.max_concurrent, c.awaiting_approval, c.results_unacknowledged,
        c.results_unacknowledged == 1 ? "" : "s");
    out += fmt::format("  allow-list: {} entr{}\n", c.allow_list_entries,
                       c.allow_list_entries == 1 ? "y" : "ies");
    for (const auto& [name, why] : c.unrunnable) {
        out += fmt::format("  cannot run on this host: {}: {}\n", name, why);
    }
}

void sandbox(std::string& out, const SandboxInfo& s) {
    std::string active;
    for (const std::string& name : s.active) active += (active.empty() ? "" : ", ") + name;
    out += fmt::format("sandbox: {}\n", active.empty() ? "no protection available" : active);
    for (const Unavailable& u : s.unavailable) {
        out += fmt::format("  unavailable: {}: {}\n", u.protection, u.detail);
    }
    if (s.exec_helper) {
        out += fmt::format("  runs as other users start through {}\n", *s.exec_helper);
    } else {
        out += "  runs as other users fork the agent";
        for (const std::string& why : s.exec_helper_refused) out += fmt::format("; {}", why);
        out += "\n";
    }
}

// A value as `outpost status` shows it: at most 2 decimals.
std::string number_text(double value) {
    std::string text = fmt::format("{:.2f}", value);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
}

}  // namespace

bool healthy(const StatusReport& report) {
    if (report.connection.state != "online" || report.journal.state != "ok") return false;
    for (const auto& [check, result] : report.checks.results) {
        if (result == "fail") return false;
    }
    return true;
}

std::string render_text(const StatusReport& answer) {
    const StatusReport report = printable_report(answer);
    const TimePoint now = report.generated_at;
    std::string out = fmt::format("outpost {}, node {}, pid {}, up {}\n", report.agent.version,
                                  report.agent.node_id, report.agent.pid,
                                  human(between(report.agent.started_at, now)));
    connection(out, report.connection, now);
    commands(out, report.commands);
    out += fmt::format("journal: {}, {} (sync {})\n", report.journal.state, report.journal.path,
                       report.journal.sync);
    if (!report.journal.detail.empty()) out += fmt::format("  {}\n", report.journal.detail);
    if (report.journal.outbox_messages.value_or(0) > 0) {
        out += fmt::format("  outbox: {} message(s) not yet confirmed by the server\n",
                           *report.journal.outbox_messages);
    }
    sandbox(out, report.sandbox);
    std::string checks;
    for (const auto& [check, result] : report.checks.results) {
        checks += fmt::format("{}{} {}", checks.empty() ? "" : ", ", check, result);
    }
    out += fmt::format("checks: {}\n", checks);
    for (const auto& [name, detail] : report.checks.details) {
        out += fmt::format("  {}: {}\n", name, detail);
    }
    if (report.telemetry) render_telemetry(out, *report.telemetry, now);
    out += fmt::format("alerts firing: {}\n",
                       report.alerts.empty() ? "none" : std::to_string(report.alerts.size()));
    for (const AlertInfo& alert : report.alerts) {
        out +=
            fmt::format("  {} {}{}: {} (threshold {}), since {} ago\n", alert.severity, alert.rule,
                        alert.subject.empty() ? "" : " " + alert.subject, number_text(alert.value),
                        number_text(alert.threshold), human(between(alert.since, now)));
    }
    for (const std::string& warning : report.warnings) {
        out += fmt::format("warning: {}\n", warning);
    }
    return out;
}

}  // namespace outpost::status
