// Valid server → agent messages parse into the expected typed fields.
#include <string>

#include <catch2/catch.hpp>

#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/limits.hpp"

using namespace outpost::protocol;

namespace {

constexpr std::size_t kLimit = limits::kDefaultMaxMessageBytes;

std::string envelope(std::string_view type, std::string_view data) {
    return std::string(R"({"type":")") + std::string(type) +
           R"(","id":"m-1","ts":"2026-11-22T10:00:00.123Z","data":)" + std::string(data) + "}";
}

template <class T>
T parse_as(std::string_view type, std::string_view data) {
    const std::string text = envelope(type, data);
    INFO(text);
    auto parsed = parse_inbound(text, kLimit);
    if (!parsed) {
        FAIL("parse failed: " << to_string(parsed.error().code) << " " << parsed.error().message
                              << " at " << parsed.error().path.value_or("(null)"));
    }
    CHECK(parsed->type == type);
    CHECK(parsed->id == "m-1");
    CHECK(parsed->ts == "2026-11-22T10:00:00.123Z");
    REQUIRE(std::holds_alternative<T>(parsed->body));
    return std::get<T>(parsed->body);
}

}  // namespace

TEST_CASE("inbound welcome") {
    auto m = parse_as<inbound::Welcome>(
        "welcome",
        R"({"protocol":"outpost.v1","session_id":"s-9","server_time":"2026-11-22T10:00:00Z","heartbeat_s":15,"telemetry_s":60})");
    CHECK(m.protocol == "outpost.v1");
    CHECK(m.session_id == "s-9");
    CHECK(m.server_time == "2026-11-22T10:00:00Z");
    CHECK(m.heartbeat_s == 15);
    CHECK(m.telemetry_s == 60u);

    auto defaults = parse_as<inbound::Welcome>(
        "welcome",
        R"({"protocol":"outpost.v1","session_id":"s","server_time":"2026-11-22T10:00:00Z"})");
    CHECK(defaults.heartbeat_s == 30);
    CHECK_FALSE(defaults.telemetry_s.has_value());
}

TEST_CASE("inbound welcome: what the agent can do without is read leniently") {
    // Before welcome the agent may send nothing, not even an error: refusing
    // a welcome over one of these would keep the node offline, unseen.
    const auto welcome = [](const std::string& extra) {
        return parse_as<inbound::Welcome>(
            "welcome", R"({"protocol":"outpost.v1","session_id":"s")" + extra + "}");
    };
    CHECK(welcome("").server_time.empty());                              // absent
    CHECK(welcome(R"(,"server_time":1763805600)").server_time.empty());  // not RFC 3339 text
    CHECK(welcome(R"(,"server_time":"2026-11-22")").server_time.empty());
    CHECK(welcome(R"(,"heartbeat_s":0)").heartbeat_s == 1);  // clamped into 1..3600
    CHECK(welcome(R"(,"heartbeat_s":-5)").heartbeat_s == 1);
    CHECK(welcome(R"(,"heartbeat_s":3601)").heartbeat_s == 3600);
    CHECK(welcome(R"(,"heartbeat_s":30.0)").heartbeat_s == 30);
    CHECK(welcome(R"(,"heartbeat_s":12.9)").heartbeat_s == 12);
    CHECK(welcome(R"(,"heartbeat_s":1e300)").heartbeat_s == 3600);
    CHECK(welcome(R"(,"heartbeat_s":"30")").heartbeat_s == 30);  // not a number: the default
    CHECK(welcome(R"(,"heartbeat_s":null)").heartbeat_s == 30);
    CHECK(welcome(R"(,"telemetry_s":0)").telemetry_s == 1u);
    CHECK_FALSE(welcome(R"(,"telemetry_s":"60")").telemetry_s.has_value());
}

TEST_CASE("inbound welcome: reconnect_spread_s, 0 to 3600, read like the other intervals") {
    const auto spread = [](const std::string& extra) {
        return parse_as<inbound::Welcome>(
                   "welcome", R"({"protocol":"outpost.v1","session_id":"s")" + extra + "}")
            .reconnect_spread_s;
    };
    CHECK_FALSE(spread("").has_value());  // absent: the agent keeps the last value
    CHECK(spread(R"(,"reconnect_spread_s":600)") == 600u);
    CHECK(spread(R"(,"reconnect_spread_s":0)") == 0u);  // 0 is in range: at once
    CHECK(spread(R"(,"reconnect_spread_s":3600)") == 3600u);
    CHECK(spread(R"(,"reconnect_spread_s":3601)") == 3600u);  // clamped, as heartbeat_s
    CHECK(spread(R"(,"reconnect_spread_s":-1)") == 0u);
    CHECK(spread(R"(,"reconnect_spread_s":12.7)") == 12u);
    CHECK_FALSE(spread(R"(,"reconnect_spread_s":"600")").has_value());  // not a number
    CHECK_FALSE(spread(R"(,"reconnect_spread_s":null)").has_value());
}

TEST_CASE("inbound execute, all fields") {
    auto m = parse_as<inbound::Execute>(
        "execute",
        R"({"request_id":"req-1.a:B_9","command":"disk_usage","args":["-h","/var","\u00e9"],
            "timeout_ms":5000,"env":{"LANG":"C","A~/B":"x"},"stdin":"line\n",
            "not_after":"2026-11-22T11:00:00+01:00","requires_approval":true,"extra":{"ignored":[1,2]}})");
    CHECK(m.request_id == "req-1.a:B_9");
    CHECK(m.command == "disk_usage");
    CHECK(m.args == std::vector<std::string>{"-h", "/var", "\xC3\xA9"});
    CHECK(m.timeout_ms == 5000u);
    CHECK(m.env.size() == 2);
    CHECK(m.env.at("LANG") == "C");
    CHECK(m.env.at("A~/B") == "x");
    CHECK(m.stdin_data == "line\n");
    REQUIRE(m.not_after.has_value());
    CHECK(format_rfc3339(*m.not_after) == "2026-11-22T10:00:00.000Z");
    CHECK(m.requires_approval);
}

TEST_CASE("inbound execute, required fields only and explicit nulls") {
    auto m =
        parse_as<inbound::Execute>("execute", R"({"request_id":"r","command":"uptime","args":[]})");
    CHECK(m.args.empty());
    CHECK_FALSE(m.timeout_ms.has_value());
    CHECK(m.env.empty());
    CHECK_FALSE(m.stdin_data.has_value());
    CHECK_FALSE(m.not_after.has_value());
    CHECK_FALSE(m.requires_approval);

    auto nulls = parse_as<inbound::Execute>(
        "execute",
        R"({"request_id":"r","command":"uptime","args":[],"timeout_ms":null,"env":null,"stdin":null,"not_after":null,"requires_approval":null})");
    CHECK_FALSE(nulls.timeout_ms.has_value());
    CHECK_FALSE(nulls.requires_approval);
}

TEST_CASE("inbound execute: any timeout_ms JSON carries exactly parses, policy judges it") {
    // 0 and values above every entry's maximum are policy rejections (§3.3
    // step 3: command_ack + command_result rejected), not schema errors.
    for (std::uint64_t timeout : {0ULL, 86'400'001ULL, 9'007'199'254'740'991ULL}) {
        auto m = parse_as<inbound::Execute>(
            "execute", R"({"request_id":"r","command":"uptime","args":[],"timeout_ms":)" +
                           std::to_string(timeout) + "}");
        CHECK(m.timeout_ms == timeout);
    }
}

TEST_CASE("inbound request_id boundaries") {
    const std::string id128(128, 'a');
    auto m = parse_as<inbound::Cancel>("cancel", R"({"request_id":")" + id128 + R"("})");
    CHECK(m.request_id == id128);
    CHECK(parse_as<inbound::Cancel>("cancel", R"({"request_id":"x"})").request_id == "x");
    CHECK(parse_as<inbound::Cancel>("cancel", R"({"request_id":"AZaz09._:-"})").request_id ==
          "AZaz09._:-");
}

TEST_CASE("inbound cancel, execute_approved, deploy, update_agent") {
    CHECK(parse_as<inbound::Cancel>("cancel", R"({"request_id":"r1"})").request_id == "r1");

    auto approved = parse_as<inbound::ExecuteApproved>(
        "execute_approved", R"({"request_id":"r2","approved_by":"alice"})");
    CHECK(approved.request_id == "r2");
    CHECK(approved.approved_by == "alice");

    auto deploy =
        parse_as<inbound::Deploy>("deploy", R"({"request_id":"r3","env":"prod","branch":"main"})");
    CHECK(deploy.request_id == "r3");
    CHECK(deploy.env == "prod");
    CHECK(deploy.branch == "main");

    const std::string sha(64, 'A');
    auto update = parse_as<inbound::UpdateAgent>(
        "update_agent",
        R"({"request_id":"r4","version":"1.2.3","url":"https://x/y.tar.gz","sha256":")" + sha +
            R"("})");
    CHECK(update.version == "1.2.3");
    CHECK(update.url == "https://x/y.tar.gz");
    CHECK(update.sha256 == std::string(64, 'a'));
}

TEST_CASE("inbound health_check, config_update, result_ack") {
    CHECK(parse_as<inbound::HealthCheck>("health_check", R"({"request_id":"h1"})").request_id ==
          "h1");

    auto config = parse_as<inbound::ConfigUpdate>(
        "config_update",
        R"({"request_id":"c1","config":{ "telemetry" : { "interval" : "30s" } , "alerts":[ ]}})");
    CHECK(config.request_id == "c1");
    CHECK(config.config_json == R"({"telemetry":{"interval":"30s"},"alerts":[]})");

    CHECK(parse_as<inbound::ResultAck>("result_ack", R"({"request_id":"r"})").request_id == "r");
}

TEST_CASE("inbound stream_logs, stop_stream") {
    auto m = parse_as<inbound::StreamLogs>(
        "stream_logs", R"({"stream_id":"st-1","source":"syslog","follow":true,"lines":100})");
    CHECK(m.stream_id == "st-1");
    CHECK(m.source == "syslog");
    CHECK(m.follow);
    CHECK(m.lines == 100);
    CHECK(parse_as<inbound::StreamLogs>(
              "stream_logs", R"({"stream_id":"s","source":"x","follow":false,"lines":0})")
              .lines == 0);
    CHECK(parse_as<inbound::StopStream>("stop_stream", R"({"stream_id":"st-1"})").stream_id ==
          "st-1");
}

TEST_CASE("inbound stream_logs: any 32-bit lines is accepted (the stream manager caps it)") {
    // A server asking for "all" (§3.3: fewer if the source has fewer) gets a
    // stream, not error{schema}.
    CHECK(parse_as<inbound::StreamLogs>(
              "stream_logs", R"({"stream_id":"s","source":"x","follow":false,"lines":1000000})")
              .lines == 1'000'000);
    CHECK(parse_as<inbound::StreamLogs>(
              "stream_logs", R"({"stream_id":"s","source":"x","follow":false,"lines":4294967295})")
              .lines == 4'294'967'295U);
}

TEST_CASE("inbound ping, pong, reconnect") {
    parse_as<inbound::Ping>("ping", "{}");
    parse_as<inbound::Ping>("ping", R"({"future":1})");
    CHECK(parse_as<inbound::Pong>("pong", R"({"ref":"p-7"})").ref == "p-7");

    auto reconnect =
        parse_as<inbound::Reconnect>("reconnect", R"({"after_ms":2500,"reason":"maintenance"})");
    CHECK(reconnect.after_ms == 2500u);
    CHECK(reconnect.reason == "maintenance");
    auto bare = parse_as<inbound::Reconnect>("reconnect", R"({"after_ms":0})");
    CHECK(bare.after_ms == 0u);
    CHECK_FALSE(bare.reason.has_value());
    // Without after_ms: still a reconnect (a jitter of up to reconnect.initial).
    auto no_delay = parse_as<inbound::Reconnect>("reconnect", R"({"reason":"drain"})");
    CHECK_FALSE(no_delay.after_ms.has_value());
}

TEST_CASE("inbound error and signed") {
    auto error = parse_as<inbound::Error>(
        "error", R"({"ref":"a-1","code":"schema","message":"bad","path":"/data/x"})");
    CHECK(error.ref == "a-1");
    CHECK(error.code == "schema");
    CHECK(error.known_code == ErrorCode::schema);
    CHECK(error.message == "bad");
    CHECK(error.path == "/data/x");

    auto future = parse_as<inbound::Error>(
        "error", R"({"ref":null,"code":"rate_limited","message":"","path":null})");
    CHECK_FALSE(future.ref.has_value());
    CHECK(future.code == "rate_limited");
    CHECK_FALSE(future.known_code.has_value());
    CHECK_FALSE(future.path.has_value());

    CHECK(parse_as<inbound::Signed>("signed", R"({"jws":"aGVhZA.cGF5bG9hZA.c2ln"})").jws ==
          "aGVhZA.cGF5bG9hZA.c2ln");
}

TEST_CASE(
    "inbound envelope: unknown top-level fields ignored, offsets accepted, depth 32 allowed") {
    const std::string text =
        R"({"extra":[1,{"a":null}],"data":{},"ts":"2026-11-22T12:00:00+02:00","id":"z","type":"ping"})";
    auto parsed = parse_inbound(text, kLimit);
    REQUIRE(parsed.has_value());
    CHECK(parsed->id == "z");

    // Top-level object is depth 1, data depth 2, then 30 nested arrays: 32 in all.
    const std::string deep = R"({"type":"ping","id":"d","ts":"2026-11-22T10:00:00Z","data":{"x":)" +
                             std::string(30, '[') + std::string(30, ']') + "}}";
    CHECK(parse_inbound(deep, kLimit).has_value());
}

TEST_CASE("inbound size limit is inclusive") {
    const std::string text = envelope("ping", "{}");
    CHECK(parse_inbound(text, text.size()).has_value());
    CHECK_FALSE(parse_inbound(text, text.size() - 1).has_value());
}

TEST_CASE("InboundParser is reusable across messages") {
    InboundParser parser;
    for (int i = 0; i < 3; ++i) {
        CHECK(parser.parse(envelope("ping", "{}"), kLimit).has_value());
        CHECK_FALSE(parser.parse("{", kLimit).has_value());
        auto cancel = parser.parse(envelope("cancel", R"({"request_id":"r"})"), kLimit);
        REQUIRE(cancel.has_value());
        CHECK(std::get<inbound::Cancel>(cancel->body).request_id == "r");
    }
}
