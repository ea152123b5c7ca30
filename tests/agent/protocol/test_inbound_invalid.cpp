// Table of invalid server → agent messages: each must fail with the exact
// error code, JSON pointer and ref (envelope id) listed.
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/limits.hpp"

using namespace outpost::protocol;

namespace {

constexpr std::size_t kLimit = limits::kDefaultMaxMessageBytes;
const std::optional<std::string> kNull;
const std::optional<std::string> kRef = "m-1";

std::string env(std::string_view type, std::string_view data) {
    return std::string(R"({"type":")") + std::string(type) +
           R"(","id":"m-1","ts":"2026-11-22T10:00:00.123Z","data":)" + std::string(data) + "}";
}

std::string without_field(std::string_view field) {
    std::string text = "{";
    bool first = true;
    const auto add = [&](std::string_view name, std::string_view value) {
        if (name == field) {
            return;
        }
        text += first ? "" : ",";
        first = false;
        text += "\"" + std::string(name) + "\":" + std::string(value);
    };
    add("type", R"("ping")");
    add("id", R"("m-1")");
    add("ts", R"("2026-11-22T10:00:00Z")");
    add("data", "{}");
    return text + "}";
}

std::string envelope_with(std::string_view type, std::string_view id, std::string_view ts,
                          std::string_view data) {
    return "{\"type\":" + std::string(type) + ",\"id\":" + std::string(id) +
           ",\"ts\":" + std::string(ts) + ",\"data\":" + std::string(data) + "}";
}

std::string exec(std::string_view extra_members) {
    return env("execute", R"({"request_id":"r-1","command":"uptime","args":[])" +
                              std::string(extra_members) + "}");
}

std::string nested_arrays(int count) {
    return std::string(count, '[') + std::string(count, ']');
}

std::string zeros_pointer(int count) {
    std::string pointer;
    for (int i = 0; i < count; ++i) {
        pointer += "/0";
    }
    return pointer;
}

struct Row {
    std::string name;
    std::string text;
    ErrorCode code;
    std::optional<std::string> path;
    std::optional<std::string> ref;
    std::size_t limit = kLimit;
};

std::vector<Row> rows() {
    const std::string ping = env("ping", "{}");
    const std::string id129(129, 'a');
    const std::string welcome_ok =
        R"("protocol":"outpost.v1","session_id":"s","server_time":"2026-11-22T10:00:00Z")";
    const std::string stream_ok = R"("stream_id":"s-1","source":"syslog")";
    return {
        // --- not JSON at all, or not one JSON value
        {"empty input", "", ErrorCode::invalid_json, kNull, kNull},
        {"whitespace only", "  \n ", ErrorCode::invalid_json, kNull, kNull},
        {"lone brace", "{", ErrorCode::invalid_json, kNull, kNull},
        {"truncated message", ping.substr(0, ping.size() - 1), ErrorCode::invalid_json, kNull,
         kNull},
        {"truncated inside string", ping.substr(0, 12), ErrorCode::invalid_json, kNull, kNull},
        {"trailing garbage", ping + "x", ErrorCode::invalid_json, kNull, kNull},
        {"two objects", ping + ping, ErrorCode::invalid_json, kNull, kNull},
        {"bare word", "hello", ErrorCode::invalid_json, kNull, kNull},
        {"single quotes", "{'type':'ping'}", ErrorCode::invalid_json, kNull, kNull},
        {"trailing comma", R"({"type":"ping",})", ErrorCode::invalid_json, kNull, kNull},
        {"NaN literal", env("reconnect", R"({"after_ms":NaN})"), ErrorCode::invalid_json, kNull,
         kNull},
        {"raw control char in string", env("pong", "{\"ref\":\"a\x01b\"}"), ErrorCode::invalid_json,
         kNull, kNull},
        {"lone surrogate escape", env("pong", R"({"ref":"\ud800"})"), ErrorCode::invalid_json,
         kNull, kNull},
        {"integer beyond 64 bits", env("reconnect", R"({"after_ms":18446744073709551616})"),
         ErrorCode::invalid_json, kNull, kNull},
        // --- not an object
        {"top-level array", "[" + ping + "]", ErrorCode::schema, "", kNull},
        {"top-level string", R"("ping")", ErrorCode::schema, "", kNull},
        {"top-level number", "42", ErrorCode::schema, "", kNull},
        {"top-level null", "null", ErrorCode::schema, "", kNull},
        // --- size
        {"one byte over the limit", ping, ErrorCode::too_large, kNull, kNull, ping.size() - 1},
        {"limit zero", "{}", ErrorCode::too_large, kNull, kNull, 0},
        // --- envelope
        {"missing type", without_field("type"), ErrorCode::schema, "/type", kRef},
        {"type is a number", envelope_with("7", R"("m-1")", R"("2026-11-22T10:00:00Z")", "{}"),
         ErrorCode::schema, "/type", kRef},
        {"type is empty", envelope_with(R"("")", R"("m-1")", R"("2026-11-22T10:00:00Z")", "{}"),
         ErrorCode::schema, "/type", kRef},
        {"missing id", without_field("id"), ErrorCode::schema, "/id", kNull},
        {"id is a number", envelope_with(R"("ping")", "5", R"("2026-11-22T10:00:00Z")", "{}"),
         ErrorCode::schema, "/id", kNull},
        {"id is empty", envelope_with(R"("ping")", R"("")", R"("2026-11-22T10:00:00Z")", "{}"),
         ErrorCode::schema, "/id", kNull},
        {"id is 129 bytes",
         envelope_with(R"("ping")", "\"" + id129 + "\"", R"("2026-11-22T10:00:00Z")", "{}"),
         ErrorCode::schema, "/id", kNull},
        {"missing ts", without_field("ts"), ErrorCode::schema, "/ts", kRef},
        {"ts is a number", envelope_with(R"("ping")", R"("m-1")", "1700000000", "{}"),
         ErrorCode::schema, "/ts", kRef},
        {"ts is prose", envelope_with(R"("ping")", R"("m-1")", R"("yesterday")", "{}"),
         ErrorCode::schema, "/ts", kRef},
        {"ts without zone",
         envelope_with(R"("ping")", R"("m-1")", R"("2026-11-22T10:00:00")", "{}"),
         ErrorCode::schema, "/ts", kRef},
        {"ts with bad date",
         envelope_with(R"("ping")", R"("m-1")", R"("2026-02-30T10:00:00Z")", "{}"),
         ErrorCode::schema, "/ts", kRef},
        {"missing data", without_field("data"), ErrorCode::schema, "/data", kRef},
        {"data is an array", env("ping", "[]"), ErrorCode::schema, "/data", kRef},
        {"data is null", env("ping", "null"), ErrorCode::schema, "/data", kRef},
        {"data is a string", env("ping", R"("{}")"), ErrorCode::schema, "/data", kRef},
        {"unknown type", env("launch", "{}"), ErrorCode::unknown_type, "/type", kRef},
        {"type is case sensitive", env("PING", "{}"), ErrorCode::unknown_type, "/type", kRef},
        {"agent-only type inbound", env("hello", "{}"), ErrorCode::unknown_type, "/type", kRef},
        // --- structure
        {"nesting 33 in data", env("ping", R"({"x":)" + nested_arrays(31) + "}"), ErrorCode::schema,
         "/data/x" + zeros_pointer(30), kRef},
        {"nesting 33 in unknown top-level field",
         R"({"type":"ping","id":"m-1","ts":"2026-11-22T10:00:00Z","data":{},"extra":)" +
             nested_arrays(32) + "}",
         ErrorCode::schema, "/extra" + zeros_pointer(31), kRef},
        {"nesting 5000", env("ping", R"({"x":)" + nested_arrays(5000) + "}"), ErrorCode::schema,
         kNull, kNull},
        {"duplicate key in data", env("cancel", R"({"request_id":"a","request_id":"b"})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"duplicate type",
         R"({"type":"ping","type":"execute","id":"m-1","ts":"2026-11-22T10:00:00Z","data":{}})",
         ErrorCode::schema, "/type", kRef},
        {"invalid UTF-8 in a data string", env("pong", "{\"ref\":\"a\xFF\"}"), ErrorCode::schema,
         kNull, kRef},
        {"overlong UTF-8 in a key", env("ping", "{\"\xC0\xAF\":1}"), ErrorCode::schema, kNull,
         kRef},
        {"surrogate UTF-8 in args",
         env("execute", "{\"request_id\":\"r\",\"command\":\"c\",\"args\":[\"\xED\xA0\x80\"]}"),
         ErrorCode::schema, kNull, kRef},
        {"truncated UTF-8 in the id",
         envelope_with(R"("ping")", "\"m\xE2\x82\"", R"("2026-11-22T10:00:00Z")", "{}"),
         ErrorCode::schema, kNull, kNull},
        // --- execute
        {"execute without request_id", env("execute", R"({"command":"uptime","args":[]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"request_id empty", env("execute", R"({"request_id":"","command":"uptime","args":[]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"request_id 129 chars",
         env("execute", R"({"request_id":")" + id129 + R"(","command":"uptime","args":[]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"request_id with space",
         env("execute", R"({"request_id":"a b","command":"uptime","args":[]})"), ErrorCode::schema,
         "/data/request_id", kRef},
        {"request_id with slash",
         env("execute", R"({"request_id":"a/b","command":"uptime","args":[]})"), ErrorCode::schema,
         "/data/request_id", kRef},
        {"request_id non-ASCII",
         env("execute", R"({"request_id":"caf\u00e9","command":"uptime","args":[]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"request_id number", env("execute", R"({"request_id":12,"command":"uptime","args":[]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"request_id null", env("execute", R"({"request_id":null,"command":"uptime","args":[]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"execute without command", env("execute", R"({"request_id":"r-1","args":[]})"),
         ErrorCode::schema, "/data/command", kRef},
        {"command is a number", env("execute", R"({"request_id":"r-1","command":1,"args":[]})"),
         ErrorCode::schema, "/data/command", kRef},
        {"command is empty", env("execute", R"({"request_id":"r-1","command":"","args":[]})"),
         ErrorCode::schema, "/data/command", kRef},
        {"execute without args", env("execute", R"({"request_id":"r-1","command":"uptime"})"),
         ErrorCode::schema, "/data/args", kRef},
        {"args is a string",
         env("execute", R"({"request_id":"r-1","command":"uptime","args":"-h"})"),
         ErrorCode::schema, "/data/args", kRef},
        {"args[2] is a number",
         env("execute", R"({"request_id":"r-1","command":"uptime","args":["a","b",3]})"),
         ErrorCode::schema, "/data/args/2", kRef},
        {"args[0] is null",
         env("execute", R"({"request_id":"r-1","command":"uptime","args":[null]})"),
         ErrorCode::schema, "/data/args/0", kRef},
        {"args[1] holds U+0000",
         env("execute", R"({"request_id":"r-1","command":"uptime","args":["a","b\u0000c"]})"),
         ErrorCode::schema, "/data/args/1", kRef},
        {"timeout_ms negative", exec(R"(,"timeout_ms":-1)"), ErrorCode::schema, "/data/timeout_ms",
         kRef},
        {"timeout_ms above 2^53 - 1", exec(R"(,"timeout_ms":9007199254740992)"), ErrorCode::schema,
         "/data/timeout_ms", kRef},
        {"timeout_ms uint64 max", exec(R"(,"timeout_ms":18446744073709551615)"), ErrorCode::schema,
         "/data/timeout_ms", kRef},
        {"timeout_ms is a string", exec(R"(,"timeout_ms":"5000")"), ErrorCode::schema,
         "/data/timeout_ms", kRef},
        {"timeout_ms is fractional", exec(R"(,"timeout_ms":1.5)"), ErrorCode::schema,
         "/data/timeout_ms", kRef},
        {"env is an array", exec(R"(,"env":["A=B"])"), ErrorCode::schema, "/data/env", kRef},
        {"env value is a number", exec(R"(,"env":{"LANG":1})"), ErrorCode::schema, "/data/env/LANG",
         kRef},
        {"env key needs pointer escaping", exec(R"(,"env":{"a~/b":true})"), ErrorCode::schema,
         "/data/env/a~0~1b", kRef},
        {"env key with '='", exec(R"(,"env":{"A=B":"c"})"), ErrorCode::schema, "/data/env/A=B",
         kRef},
        {"stdin is a number", exec(R"(,"stdin":5)"), ErrorCode::schema, "/data/stdin", kRef},
        {"not_after malformed", exec(R"(,"not_after":"tomorrow")"), ErrorCode::schema,
         "/data/not_after", kRef},
        {"not_after is a number", exec(R"(,"not_after":1700000000)"), ErrorCode::schema,
         "/data/not_after", kRef},
        {"requires_approval is a string", exec(R"(,"requires_approval":"true")"), ErrorCode::schema,
         "/data/requires_approval", kRef},
        // --- other commands
        {"cancel with empty data", env("cancel", "{}"), ErrorCode::schema, "/data/request_id",
         kRef},
        {"execute_approved without approved_by", env("execute_approved", R"({"request_id":"r"})"),
         ErrorCode::schema, "/data/approved_by", kRef},
        {"deploy without branch", env("deploy", R"({"request_id":"r","env":"prod"})"),
         ErrorCode::schema, "/data/branch", kRef},
        {"deploy env is an object", env("deploy", R"({"request_id":"r","env":{},"branch":"main"})"),
         ErrorCode::schema, "/data/env", kRef},
        {"update_agent sha256 short",
         env("update_agent",
             R"({"request_id":"r","version":"1","url":"https://x","sha256":"abc"})"),
         ErrorCode::schema, "/data/sha256", kRef},
        {"update_agent sha256 not hex",
         env("update_agent", R"({"request_id":"r","version":"1","url":"https://x","sha256":")" +
                                 std::string(64, 'g') + "\"}"),
         ErrorCode::schema, "/data/sha256", kRef},
        {"health_check bad request_id", env("health_check", R"({"request_id":"a b"})"),
         ErrorCode::schema, "/data/request_id", kRef},
        {"config_update config is a string",
         env("config_update", R"({"request_id":"r","config":"telemetry: {}"})"), ErrorCode::schema,
         "/data/config", kRef},
        {"config_update without config", env("config_update", R"({"request_id":"r"})"),
         ErrorCode::schema, "/data/config", kRef},
        {"result_ack request_id is an array", env("result_ack", R"({"request_id":["r"]})"),
         ErrorCode::schema, "/data/request_id", kRef},
        // --- session and streams
        {"welcome without session_id",
         env("welcome", R"({"protocol":"outpost.v1","server_time":"2026-11-22T10:00:00Z"})"),
         ErrorCode::schema, "/data/session_id", kRef},
        {"welcome without protocol",
         env("welcome", R"({"session_id":"s","server_time":"2026-11-22T10:00:00Z"})"),
         ErrorCode::schema, "/data/protocol", kRef},
        {"stream_logs lines negative",
         env("stream_logs", "{" + stream_ok + R"(,"follow":true,"lines":-1})"), ErrorCode::schema,
         "/data/lines", kRef},
        {"stream_logs lines past 32 bits",
         env("stream_logs", "{" + stream_ok + R"(,"follow":true,"lines":4294967296})"),
         ErrorCode::schema, "/data/lines", kRef},
        {"stream_logs without follow", env("stream_logs", "{" + stream_ok + R"(,"lines":10})"),
         ErrorCode::schema, "/data/follow", kRef},
        {"stream_logs follow is a string",
         env("stream_logs", "{" + stream_ok + R"(,"follow":"yes","lines":10})"), ErrorCode::schema,
         "/data/follow", kRef},
        {"stream_logs bad stream_id",
         env("stream_logs", R"({"stream_id":"a/b","source":"x","follow":true,"lines":1})"),
         ErrorCode::schema, "/data/stream_id", kRef},
        {"stop_stream without stream_id", env("stop_stream", "{}"), ErrorCode::schema,
         "/data/stream_id", kRef},
        {"pong without ref", env("pong", "{}"), ErrorCode::schema, "/data/ref", kRef},
        {"reconnect after_ms negative", env("reconnect", R"({"after_ms":-1})"), ErrorCode::schema,
         "/data/after_ms", kRef},
        {"reconnect after_ms is 1.0", env("reconnect", R"({"after_ms":1.0})"), ErrorCode::schema,
         "/data/after_ms", kRef},
        {"reconnect after_ms above 24 h", env("reconnect", R"({"after_ms":86400001})"),
         ErrorCode::schema, "/data/after_ms", kRef},
        {"reconnect reason is a number", env("reconnect", R"({"after_ms":1,"reason":5})"),
         ErrorCode::schema, "/data/reason", kRef},
        {"error without code", env("error", R"({"ref":null,"message":"x","path":null})"),
         ErrorCode::schema, "/data/code", kRef},
        {"error ref is a number", env("error", R"({"ref":1,"code":"schema","message":"x"})"),
         ErrorCode::schema, "/data/ref", kRef},
        {"signed jws is a number", env("signed", R"({"jws":1})"), ErrorCode::schema, "/data/jws",
         kRef},
        {"signed without jws", env("signed", "{}"), ErrorCode::schema, "/data/jws", kRef},
    };
}

}  // namespace

TEST_CASE("invalid inbound messages fail with the exact code, path and ref") {
    const std::vector<Row> table = rows();
    REQUIRE(table.size() >= 60);
    InboundParser parser;
    for (const Row& row : table) {
        INFO("row: " << row.name);
        INFO("text: " << row.text.substr(0, 300));
        const auto result = parser.parse(row.text, row.limit);
        REQUIRE_FALSE(result.has_value());
        const ProtocolError& error = result.error();
        INFO("message: " << error.message);
        CHECK(to_string(error.code) == to_string(row.code));
        CHECK(error.path == row.path);
        CHECK(error.ref == row.ref);
        CHECK_FALSE(error.message.empty());
    }
}

TEST_CASE("error codes have their wire spelling") {
    CHECK(to_string(ErrorCode::invalid_json) == "invalid_json");
    CHECK(to_string(ErrorCode::unknown_request) == "unknown_request");
    CHECK(to_string(ErrorCode::bad_signature) == "bad_signature");
    CHECK(to_string(ErrorCode::unsupported) == "unsupported");
    CHECK(error_code_from_string("expired") == ErrorCode::expired);
    CHECK(error_code_from_string("too_large") == ErrorCode::too_large);
    CHECK_FALSE(error_code_from_string("Expired").has_value());
}
