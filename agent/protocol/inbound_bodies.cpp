#include "agent/protocol/inbound_bodies.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "agent/protocol/limits.hpp"

namespace outpost::protocol {
namespace {

using namespace outpost::protocol::inbound;

inbound::Body read_welcome(FieldReader& data) {
    Welcome m;
    m.protocol = data.non_empty_string("protocol");
    m.session_id = data.non_empty_string("session_id");
    // The rest is read leniently (docs/protocol-notes.md): before welcome the
    // agent may send nothing, not even an error, so a welcome refused over a
    // field the agent can do without would keep the node offline with no
    // sign the server could see. server_time is informational (unused), the
    // intervals are clamped into range.
    m.server_time = data.lenient_timestamp("server_time").value_or("");
    m.heartbeat_s = static_cast<std::uint32_t>(
        data.clamped_uint("heartbeat_s", limits::kMinHeartbeatS, limits::kMaxHeartbeatS)
            .value_or(m.heartbeat_s));
    if (auto telemetry =
            data.clamped_uint("telemetry_s", limits::kMinTelemetryS, limits::kMaxTelemetryS)) {
        m.telemetry_s = static_cast<std::uint32_t>(*telemetry);
    }
    if (auto spread = data.clamped_uint("reconnect_spread_s", 0, limits::kMaxReconnectSpreadS)) {
        m.reconnect_spread_s = static_cast<std::uint32_t>(*spread);
    }
    return m;
}

inbound::Body read_execute(FieldReader& data) {
    Execute m;
    m.request_id = data.request_id("request_id");
    m.command = data.c_string("command");
    m.args = data.c_string_array("args");
    m.timeout_ms = data.optional_uint("timeout_ms", 0, limits::kMaxTimeoutMs);
    m.env = data.optional_c_string_map("env");
    m.stdin_data = data.optional_string("stdin");
    m.not_after = data.optional_time("not_after");
    m.requires_approval = data.optional_boolean("requires_approval").value_or(false);
    return m;
}

inbound::Body read_cancel(FieldReader& data) {
    return Cancel{data.request_id("request_id")};
}

inbound::Body read_execute_approved(FieldReader& data) {
    ExecuteApproved m;
    m.request_id = data.request_id("request_id");
    m.approved_by = data.non_empty_string("approved_by");
    return m;
}

inbound::Body read_deploy(FieldReader& data) {
    Deploy m;
    m.request_id = data.request_id("request_id");
    m.env = data.c_string("env");
    m.branch = data.c_string("branch");
    return m;
}

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

inbound::Body read_update_agent(FieldReader& data) {
    UpdateAgent m;
    m.request_id = data.request_id("request_id");
    m.version = data.c_string("version");
    m.url = data.c_string("url");
    m.sha256 = data.string("sha256");
    if (!data.failed() && !is_sha256_hex(m.sha256)) {
        data.fail("sha256", "must be 64 hexadecimal digits");
    }
    std::transform(m.sha256.begin(), m.sha256.end(), m.sha256.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return m;
}

inbound::Body read_health_check(FieldReader& data) {
    return HealthCheck{data.request_id("request_id")};
}

inbound::Body read_config_update(FieldReader& data) {
    ConfigUpdate m;
    m.request_id = data.request_id("request_id");
    m.config_json = data.object_json("config");
    return m;
}

inbound::Body read_result_ack(FieldReader& data) {
    return ResultAck{data.request_id("request_id")};
}

inbound::Body read_stream_logs(FieldReader& data) {
    StreamLogs m;
    m.stream_id = data.request_id("stream_id");
    m.source = data.c_string("source");
    m.follow = data.boolean("follow");
    m.lines = static_cast<std::uint32_t>(data.uint("lines", 0, limits::kMaxStreamLines));
    return m;
}

inbound::Body read_stop_stream(FieldReader& data) {
    return StopStream{data.request_id("stream_id")};
}

inbound::Body read_ping(FieldReader& /*data*/) {
    return Ping{};
}

inbound::Body read_pong(FieldReader& data) {
    return Pong{data.non_empty_string("ref")};
}

inbound::Body read_reconnect(FieldReader& data) {
    Reconnect m;
    // Optional here: a reconnect without a delay is still a reconnect
    // (session policy: then a jitter of up to reconnect.initial).
    m.after_ms = data.optional_uint("after_ms", 0, limits::kMaxAfterMs);
    m.reason = data.optional_string("reason");
    return m;
}

inbound::Body read_error(FieldReader& data) {
    inbound::Error m;
    m.ref = data.optional_string("ref");
    m.code = data.non_empty_string("code");
    m.known_code = error_code_from_string(m.code);
    m.message = data.string("message");
    m.path = data.optional_string("path");
    return m;
}

inbound::Body read_signed(FieldReader& data) {
    return Signed{data.non_empty_string("jws")};
}

constexpr std::array<std::pair<std::string_view, BodyReader>, 16> kReaders{{
    {"welcome", read_welcome},
    {"execute", read_execute},
    {"cancel", read_cancel},
    {"execute_approved", read_execute_approved},
    {"deploy", read_deploy},
    {"update_agent", read_update_agent},
    {"health_check", read_health_check},
    {"config_update", read_config_update},
    {"result_ack", read_result_ack},
    {"stream_logs", read_stream_logs},
    {"stop_stream", read_stop_stream},
    {"ping", read_ping},
    {"pong", read_pong},
    {"reconnect", read_reconnect},
    {"error", read_error},
    {"signed", read_signed},
}};

}  // namespace

BodyReader find_body_reader(std::string_view type) noexcept {
    for (const auto& [name, reader] : kReaders) {
        if (name == type) {
            return reader;
        }
    }
    return nullptr;
}

}  // namespace outpost::protocol
