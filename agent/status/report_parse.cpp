// The status socket's JSON → StatusReport, for `outpost status`. The answer
// comes from a local socket that only root can open, but it is still input:
// every member is type-checked and a failure names its JSON path.
#include "agent/common/json/json_reader.hpp"

#include "agent/protocol/rfc3339.hpp"
#include "agent/status/report.hpp"
#include "agent/status/telemetry_section.hpp"

namespace outpost::status {
namespace {

// The shared keep-the-first-error reader plus the report's one type of its
// own, RFC 3339 times. Members a reader does not know are ignored.
class Reader {
  public:
    explicit Reader(json::ObjectReader reader) : r_(std::move(reader)) {}

    std::string str(std::string_view key) { return r_.string(key); }
    std::optional<std::string> optional_str(std::string_view key) {
        return r_.optional_string(key);
    }
    std::uint64_t uint(std::string_view key) { return r_.uint64(key); }
    std::optional<std::int64_t> optional_int(std::string_view key) {
        return r_.optional_int64(key);
    }
    std::vector<std::string> strings(std::string_view key) { return r_.strings(key); }
    Counters counters(std::string_view key) { return r_.uint64_map(key); }
    std::map<std::string, std::string, std::less<>> string_map(std::string_view key) {
        return r_.string_map(key);
    }
    TimePoint time(std::string_view key) {
        std::string text = str(key);
        if (r_.failed()) return {};
        auto parsed = protocol::parse_rfc3339(text);
        if (!parsed) {
            r_.fail(key, "not an RFC 3339 time: " + parsed.error().message());
            return {};
        }
        return *parsed;
    }
    std::optional<TimePoint> optional_time(std::string_view key) {
        auto value = r_.find(key, false);
        if (!value || value->is_null()) return std::nullopt;
        return time(key);
    }
    std::optional<Reader> object(std::string_view key, bool required = true) {
        auto inner = r_.object(key, required);
        if (!inner) return std::nullopt;
        return Reader(std::move(*inner));
    }
    std::vector<Reader> objects(std::string_view key) {
        std::vector<Reader> out;
        for (json::ObjectReader& inner : r_.objects(key)) out.emplace_back(std::move(inner));
        return out;
    }
    double number(std::string_view key) {
        auto value = r_.find(key);
        if (!value) return 0;
        auto number = value->number();
        if (!number) r_.fail(key, "not a number");
        return number.value_or(0);
    }
    // Present and not null: for members older agents do not send.
    bool has(std::string_view key) {
        auto value = r_.find(key, false);
        return value && !value->is_null();
    }
    void fail(std::string_view key, std::string_view why) { r_.fail(key, why); }
    [[nodiscard]] bool failed() const { return r_.failed(); }
    [[nodiscard]] std::string error() const { return r_.error(); }
    // For the sections read in files of their own (telemetry_section.cpp).
    json::ObjectReader& raw() { return r_; }

  private:
    json::ObjectReader r_;
};

void read_connection(Reader& r, ConnectionInfo& c) {
    c.server_url = r.str("server_url");
    c.state = r.str("state");
    c.since = r.time("since");
    c.attempt = r.uint("attempt");
    c.reconnects = r.uint("reconnects");
    c.next_attempt_in_ms = r.optional_int("next_attempt_in_ms");
    if (auto e = r.object("last_error", false)) {
        c.last_error = ErrorInfo{e->str("what"), e->str("cause"), e->time("at")};
    }
    c.last_close_code = r.optional_int("last_close_code");
    c.token_expires_at = r.optional_time("token_expires_at");
    c.session_id = r.optional_str("session_id");
    c.auth_failures = r.counters("auth_failures");
    c.invalid_payloads = r.counters("invalid_payloads");
    c.transitions = r.counters("transitions");
    c.seal_failures = r.counters("seal_failures");
    // Absent from an agent older than the polling fallback: the WebSocket.
    c.transport = r.optional_str("transport").value_or("websocket");
    c.transport_since = r.optional_time("transport_since").value_or(TimePoint{});
    c.transport_reason = r.optional_str("transport_reason").value_or("");
}

void read_commands(Reader& r, CommandsInfo& c) {
    c.running = r.uint("running");
    c.queued = r.uint("queued");
    c.awaiting_approval = r.uint("awaiting_approval");
    c.results_unacknowledged = r.uint("results_unacknowledged");
    c.max_concurrent = r.uint("max_concurrent");
    c.allow_list_entries = r.uint("allow_list_entries");
    c.unrunnable = r.string_map("unrunnable");
}

void read_sandbox(Reader& r, SandboxInfo& s) {
    s.active = r.strings("active");
    for (Reader& u : r.objects("unavailable")) {
        s.unavailable.push_back(Unavailable{u.str("protection"), u.str("detail")});
    }
    s.exec_helper = r.optional_str("exec_helper");
    s.exec_helper_refused = r.strings("exec_helper_refused");
}

}  // namespace

Expected<StatusReport> parse_report(std::string_view json) {
    auto document = json::Document::parse(json);
    if (!document) return fail("not JSON: " + document.error().message());
    const auto object = document->root().object();
    if (!object) return fail("not a JSON object");

    Reader r{json::ObjectReader(*object)};
    std::string format = r.str("format");
    if (!r.failed() && format != kFormat) {
        return fail("answer format \"" + format + "\" is not " + std::string(kFormat) +
                    " (agent and CLI of different versions?)");
    }
    StatusReport report;
    report.generated_at = r.time("generated_at");
    if (auto a = r.object("agent")) {
        report.agent.version = a->str("version");
        report.agent.node_id = a->str("node_id");
        std::uint64_t pid = a->uint("pid");
        if (pid > static_cast<std::uint64_t>(INT32_MAX)) a->fail("pid", "not a process id");
        report.agent.pid = static_cast<std::int64_t>(pid);
        report.agent.started_at = a->time("started_at");
    }
    if (auto c = r.object("connection")) read_connection(*c, report.connection);
    if (auto c = r.object("commands")) read_commands(*c, report.commands);
    if (auto j = r.object("journal")) {
        report.journal.path = j->str("path");
        report.journal.sync = j->str("sync");
        report.journal.state = j->str("state");
        report.journal.detail = j->str("detail");
        report.journal.outbox_messages = j->optional_int("outbox_messages");
    }
    if (auto s = r.object("sandbox")) read_sandbox(*s, report.sandbox);
    if (auto c = r.object("checks")) {
        report.checks.results = c->string_map("results");
        report.checks.details = c->string_map("details");
    }
    report.telemetry = read_telemetry(r.raw());
    report.warnings = r.strings("warnings");
    if (r.has("alerts")) {
        for (Reader& a : r.objects("alerts")) {
            report.alerts.push_back(AlertInfo{.alert_id = a.str("alert_id"),
                                              .rule = a.str("rule"),
                                              .subject = a.str("subject"),
                                              .severity = a.str("severity"),
                                              .value = a.number("value"),
                                              .threshold = a.number("threshold"),
                                              .since = a.time("since")});
        }
    }
    if (r.failed()) return fail("status answer: " + r.error());
    return report;
}

}  // namespace outpost::status
