#include <catch2/catch.hpp>

#include "agent/protocol/rfc3339.hpp"
#include "agent/status/report.hpp"

using namespace outpost::status;
using namespace std::chrono_literals;

namespace {

TimePoint at(const char* text) {
    return *outpost::protocol::parse_rfc3339(text);
}

StatusReport sample() {
    StatusReport r;
    r.generated_at = at("2026-11-22T10:00:00.000Z");
    r.agent = AgentInfo{"0.4.0", "node-1", 4242, at("2026-11-22T08:00:00.000Z")};
    ConnectionInfo& c = r.connection;
    c.server_url = "wss://cp.example:8443/agent";
    c.state = "backoff";
    c.since = at("2026-11-22T09:59:30.000Z");
    c.attempt = 3;
    c.reconnects = 7;
    c.next_attempt_in_ms = 4200;
    c.last_error = ErrorInfo{"upgrade refused", "HTTP 503", at("2026-11-22T09:59:30.000Z")};
    c.last_close_code = 1001;
    c.token_expires_at = at("2026-11-22T10:13:00.000Z");
    c.session_id = "s-17";
    c.auth_failures = {{"expired", 2}};
    c.invalid_payloads = {{"schema", 1}};
    c.transitions = {{"online", 4}, {"backoff", 3}};
    c.seal_failures = {{"did_not_open", 2}};
    c.transport = "poll";
    c.transport_since = at("2026-11-22T09:00:00.000Z");
    c.transport_reason = "3 upgrades answered 400";
    r.commands =
        CommandsInfo{2, 1, 1, 3, 4, 5, {{"strict-job", "requires landlock, unavailable: ABI 0"}}};
    r.journal = JournalInfo{"/var/lib/outpost/journal.db", "full", "ok", "", 3};
    r.sandbox.active = {"namespaces_mount", "seccomp"};
    r.sandbox.unavailable = {Unavailable{"landlock", "not in this kernel"}};
    r.sandbox.exec_helper = "/usr/libexec/outpost/outpost-exec-as";
    r.checks.results = {{"agent", "ok"}, {"database", "ok"}, {"disk", "warn"}};
    r.checks.details = {{"disk", "8% free"}};
    r.warnings = {"an allow-list entry cannot run here"};
    TelemetryInfo t;
    t.running = true;
    t.interval_ms = 60'000;
    t.last_seq = 1234;
    t.last_sample_at = at("2026-11-22T09:59:48.000Z");
    t.samples = 90;
    t.skipped_ticks = 2;
    t.unsendable_samples = 3;
    t.lag_p50_us = 120;
    t.lag_p99_us = 2400;
    t.lag_max_us = 9100;
    t.collectors = {
        CollectorInfo{"cpu", true, at("2026-11-22T09:59:48.000Z"), "", false, ""},
        CollectorInfo{"disks", true, std::nullopt, "statvfs /mnt/nfs: timed out", false, ""},
        CollectorInfo{"containers", true, std::nullopt, "", true, ""},
        CollectorInfo{"network", false, std::nullopt, "", false, ""},
        CollectorInfo{"processes", true, at("2026-11-22T09:59:48.000Z"), "", false,
                      "/mnt/nfs: statvfs did not answer within 2000 ms (hung mount?)"}};
    r.telemetry = t;
    r.alerts = {AlertInfo{"a-1", "disk_full", "mount=/data", "warning", 91.25, 80,
                          at("2026-11-22T09:45:00.000Z")}};
    return r;
}

// Compares the reports themselves (every member, by the defaulted ==), not
// two serialisations: a member that to_json and parse_report both leave out
// would make two serialisations equal, but not the reports. The JSON is only
// shown to say what differs.
void require_same(const StatusReport& a, const StatusReport& b) {
    INFO("expected: " << to_json(a));
    INFO("parsed back: " << to_json(b));
    CHECK(a.agent == b.agent);
    CHECK(a.connection == b.connection);
    CHECK(a.commands == b.commands);
    CHECK(a.journal == b.journal);
    CHECK(a.sandbox == b.sandbox);
    CHECK(a.checks == b.checks);
    CHECK(a.telemetry == b.telemetry);
    CHECK(a.alerts == b.alerts);
    CHECK(a == b);
}

}  // namespace

TEST_CASE("status report: JSON round trip keeps every field", "[status]") {
    StatusReport original = sample();
    // The members sample() leaves at their defaults get a value too, so
    // every member of the report has one that losing it would change.
    original.journal.state = "fail";
    original.journal.detail = "database disk image is malformed";
    original.sandbox.exec_helper_refused = {"/usr/local/libexec/outpost-exec-as: group-writable"};
    auto parsed = parse_report(to_json(original));
    REQUIRE(parsed);
    require_same(original, *parsed);
    CHECK(parsed->connection.next_attempt_in_ms == 4200);
    CHECK(parsed->connection.token_expires_at == at("2026-11-22T10:13:00.000Z"));
    CHECK(parsed->agent.pid == 4242);
    CHECK(parsed->journal.outbox_messages == 3);
}

TEST_CASE("status report: absent optional fields are null and read back as absent", "[status]") {
    StatusReport r = sample();
    r.connection.next_attempt_in_ms.reset();
    r.connection.last_error.reset();
    r.connection.last_close_code.reset();
    r.connection.token_expires_at.reset();
    r.connection.session_id.reset();
    r.sandbox.exec_helper.reset();
    r.sandbox.exec_helper_refused = {"/usr/libexec/outpost/outpost-exec-as: not found"};
    const std::string json = to_json(r);
    CHECK(json.find(R"("last_error":null)") != std::string::npos);
    auto parsed = parse_report(json);
    REQUIRE(parsed);
    require_same(r, *parsed);
    CHECK_FALSE(parsed->connection.last_error);
    CHECK_FALSE(parsed->sandbox.exec_helper);
}

TEST_CASE("status report: an answer without telemetry (an older agent) reads back without it",
          "[status]") {
    StatusReport r = sample();
    r.telemetry.reset();
    const std::string json = to_json(r);
    CHECK(json.find(R"("telemetry":null)") != std::string::npos);
    auto parsed = parse_report(json);
    REQUIRE(parsed);
    CHECK_FALSE(parsed->telemetry);
    std::string without = json;
    without.erase(without.find(R"("telemetry":null,)"),
                  std::string_view(R"("telemetry":null,)").size());
    parsed = parse_report(without);
    REQUIRE(parsed);
    CHECK_FALSE(parsed->telemetry);
    CHECK(render_text(r).find("telemetry:") == std::string::npos);
}

TEST_CASE("status text: each collector, the last seq, skipped ticks and the loop lag", "[status]") {
    StatusReport r = sample();
    r.telemetry->collectors[1].last_error = "bad\x1b[2J";
    const std::string text = render_text(r);
    INFO(text);
    CHECK_THAT(text,
               Catch::Contains("telemetry: collecting, every 60 s, last seq 1234 (12 s ago), "
                               "2 skipped tick(s)\n"
                               "  loop lag: p50 0.1 ms, p99 2.4 ms, max 9.1 ms\n"
                               "  3 sample(s) not sent: over protocol.max_message_bytes "
                               "even trimmed (see log)\n"
                               "  collector cpu: ok, last sample 12 s ago\n"
                               "  collector disks: failing: bad\\x1b[2J\n"
                               "  collector containers: skipped (no source on this host)\n"
                               "  collector network: disabled\n"
                               "  collector processes: partial: /mnt/nfs: statvfs did not "
                               "answer within 2000 ms (hung mount?), last sample 12 s ago\n"));
}

TEST_CASE("status report: bad answers fail with the path of what is wrong", "[status]") {
    std::string good = to_json(sample());
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    struct Case {
        std::string json;
        std::string expected;
    };
    const std::vector<Case> cases{
        {"", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {good.substr(0, good.size() / 2), "not JSON"},
        {replaced(R"("format":"outpost.status.v1")", R"("format":"outpost.status.v9")"),
         "outpost.status.v9"},
        {replaced(R"("state":"backoff")", R"("state":7)"), "/connection/state: not a string"},
        {replaced(R"("attempt":3)", R"("attempt":-3)"),
         "/connection/attempt: not a non-negative integer"},
        {replaced(R"("since":"2026-11-22T09:59:30.000Z")", R"("since":"yesterday")"),
         "/connection/since: not an RFC 3339 time"},
        {replaced(R"("expired":2)", R"("expired":"2")"),
         "/connection/auth_failures/expired: not a non-negative integer"},
        {replaced(R"("active":["namespaces_mount","seccomp"])", R"("active":"all")"),
         "/sandbox/active: not an array"},
        {replaced(R"("active":["namespaces_mount","seccomp"])", R"("active":[1])"),
         "/sandbox/active: has a member that is not a string"},
        {replaced(R"("unavailable":[{)", R"("unavailable":[7,{)"),
         "/sandbox/unavailable: has a member that is not an object"},
        {replaced(R"("protection":"landlock",)", ""), "/sandbox/unavailable/0/protection: missing"},
        {replaced(R"("journal":{)", R"("journal":{"x":1},"old":{)"), "/journal/path: missing"},
        {replaced(R"("warnings":[)", R"("warnings":null,"x":[)"), "/warnings: not an array"},
    };
    for (const Case& c : cases) {
        INFO(c.json);
        auto parsed = parse_report(c.json);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message(), Catch::Contains(c.expected));
    }
}

TEST_CASE("status report: unknown members from a newer agent are ignored", "[status]") {
    std::string json = to_json(sample());
    json.insert(1, R"("added_later":{"x":[1,2,3]},)");
    auto parsed = parse_report(json);
    REQUIRE(parsed);
    require_same(sample(), *parsed);
}

TEST_CASE("status: an answer without the transport (an older agent) reads as the WebSocket",
          "[status]") {
    StatusReport r = sample();
    std::string json = to_json(r);
    for (std::string_view member :
         {R"(,"transport":"poll")", R"(,"transport_since":"2026-11-22T09:00:00.000Z")",
          R"(,"transport_reason":"3 upgrades answered 400")"}) {
        const auto at_member = json.find(member);
        REQUIRE(at_member != std::string::npos);
        json.erase(at_member, member.size());
    }
    auto parsed = parse_report(json);
    REQUIRE(parsed);
    CHECK(parsed->connection.transport == "websocket");
    CHECK(parsed->connection.transport_reason.empty());
    CHECK_THAT(render_text(*parsed), Catch::Contains("  transport: websocket\n"));
}

TEST_CASE("status text: what an operator needs, durations from the answer's clock", "[status]") {
    const std::string text = render_text(sample());
    INFO(text);
    CHECK_THAT(text, Catch::StartsWith("outpost 0.4.0, node node-1, pid 4242, up 2h 0m\n"));
    CHECK_THAT(text,
               Catch::Contains("connection: backoff for 30s (since 2026-11-22T09:59:30.000Z)"));
    CHECK_THAT(text, Catch::Contains("next attempt: in 4.2s"));
    CHECK_THAT(text, Catch::Contains("last error: upgrade refused: HTTP 503 (30s ago)"));
    CHECK_THAT(text, Catch::Contains("token: expires in 13m 0s"));
    CHECK_THAT(text, Catch::Contains("last close code: 1001"));
    CHECK_THAT(text, Catch::Contains("auth failures: expired 2"));
    CHECK_THAT(text, Catch::Contains("sealed messages refused (closed with 1008): did_not_open 2"));
    CHECK_THAT(text, Catch::Contains(
                         "commands: 2 running, 1 queued (at most 4 at once), 1 awaiting approval, "
                         "3 results not acknowledged yet"));
    CHECK_THAT(text, Catch::Contains("cannot run on this host: strict-job: requires landlock"));
    CHECK_THAT(text, Catch::Contains("journal: ok, /var/lib/outpost/journal.db (sync full)\n"
                                     "  outbox: 3 message(s) not yet confirmed by the server\n"));
    CHECK_THAT(text, Catch::Contains("sandbox: namespaces_mount, seccomp\n"));
    CHECK_THAT(text, Catch::Contains("unavailable: landlock: not in this kernel"));
    CHECK_THAT(text, Catch::Contains("through /usr/libexec/outpost/outpost-exec-as"));
    CHECK_THAT(text, Catch::Contains("checks: agent ok, database ok, disk warn\n  disk: 8% free"));
    CHECK_THAT(text, Catch::Contains("warning: an allow-list entry cannot run here"));
    CHECK_THAT(text, Catch::Contains("  transport: poll since 2026-11-22T09:00:00.000Z "
                                     "(3 upgrades answered 400)\n"));
    CHECK_THAT(text, Catch::Contains("alerts firing: 1\n"
                                     "  warning disk_full mount=/data: 91.25 (threshold 80), "
                                     "since 15m 0s ago\n"));
}

TEST_CASE("status: an answer without alerts (an older agent) reads as none firing", "[status]") {
    StatusReport r = sample();
    r.alerts.clear();
    std::string json = to_json(r);
    const auto at = json.find(R"("alerts":[],)");
    REQUIRE(at != std::string::npos);
    json.erase(at, std::string_view(R"("alerts":[],)").size());
    auto parsed = parse_report(json);
    REQUIRE(parsed);
    CHECK(parsed->alerts.empty());
    CHECK_THAT(render_text(*parsed), Catch::Contains("alerts firing: none\n"));
}

TEST_CASE("status text: server-controlled text cannot drive the terminal or forge lines",
          "[status]") {
    StatusReport r = sample();
    r.connection.last_error->cause = "bye\n\x1b[2Jwarning: all good\r";
    r.connection.invalid_payloads = {
        {"sch\x1b"
         "ema",
         1}};
    const std::string text = render_text(r);
    INFO(text);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    CHECK_THAT(text, Catch::Contains("bye\\x0a\\x1b[2Jwarning: all good\\x0d"));
    CHECK_THAT(text, Catch::Contains("sch\\x1bema 1"));
    CHECK(text.find("\nwarning: all good") == std::string::npos);
}

TEST_CASE("status text: C1 controls, bidi overrides and raw bytes are shown, not obeyed",
          "[status]") {
    // U+009B is CSI for a UTF-8 terminal; U+202E reverses what follows;
    // a lone 0x9B byte is CSI for an 8-bit one.
    CHECK(printable("a\xc2\x9b"
                    "2Jb") == "a\\u009b2Jb");
    CHECK(printable("x\xe2\x80\xaegnp.exe") == "x\\u202egnp.exe");
    CHECK(printable("\xe2\x81\xa6iso\xe2\x81\xa9") == "\\u2066iso\\u2069");
    CHECK(printable("raw \x9b"
                    "2J") == "raw \\x9b2J");
    CHECK(printable(std::string_view("nul \0 del \x7f", 11)) == "nul \\x00 del \\x7f");
    // Unlike a log line, status text lays out its own columns: a tab is shown.
    CHECK(printable("a\tb") == "a\\x09b");
    // Printable non-ASCII text is kept as it is.
    CHECK(printable("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");

    StatusReport r = sample();
    r.connection.last_error->cause =
        "\xc2\x9b"
        "2J";
    CHECK_THAT(render_text(r), Catch::Contains("last error: upgrade refused: \\u009b2J"));
    CHECK(render_text(r).find("\xc2\x9b") == std::string::npos);
}

TEST_CASE("status: healthy means online, journal ok and no check failing", "[status]") {
    StatusReport r = sample();
    CHECK_FALSE(healthy(r));  // backoff
    r.connection.state = "online";
    CHECK(healthy(r));  // a disk warning is not a failure
    r.checks.results["memory"] = "fail";
    CHECK_FALSE(healthy(r));
    r.checks.results["memory"] = "ok";
    r.journal.state = "fail";
    CHECK_FALSE(healthy(r));
}
