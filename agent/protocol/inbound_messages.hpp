#pragma once
// Typed server → agent messages (protocol.md §3). Every value here has passed
// validation: required fields present, types and ranges checked, ids within
// their charset, timestamps well formed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/protocol/errors.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::protocol::inbound {

struct Welcome {
    std::string protocol;  // checked against what we speak by the session, not here
    std::string session_id;
    std::string server_time;  // RFC 3339 when the server sent one that is, else empty
    std::uint32_t heartbeat_s = 30;
    std::optional<std::uint32_t> telemetry_s;
    std::optional<std::uint32_t> reconnect_spread_s;  // 0 … 3600; absent: keep the last one
};

struct Execute {
    std::string request_id;
    std::string command;  // name of an allow-listed entry
    std::vector<std::string> args;
    std::optional<std::uint64_t> timeout_ms;
    std::map<std::string, std::string> env;
    std::optional<std::string> stdin_data;  // `stdin` on the wire
    std::optional<TimePoint> not_after;
    bool requires_approval = false;
};

struct Cancel {
    std::string request_id;
};

struct ExecuteApproved {
    std::string request_id;
    std::string approved_by;
};

struct Deploy {
    std::string request_id;
    std::string env;
    std::string branch;
};

struct UpdateAgent {
    std::string request_id;
    std::string version;
    std::string url;
    std::string sha256;  // 64 hex digits, lower-cased
};

struct HealthCheck {
    std::string request_id;
};

struct ConfigUpdate {
    std::string request_id;
    std::string config_json;  // `config`, minified JSON object text, for the config validator
};

struct ResultAck {
    std::string request_id;
};

struct StreamLogs {
    std::string stream_id;
    std::string source;
    bool follow = false;
    std::uint32_t lines = 0;
};

struct StopStream {
    std::string stream_id;
};

struct Ping {};

struct Pong {
    std::string ref;
};

struct Reconnect {
    std::optional<std::uint64_t> after_ms;  // absent: a jitter of up to reconnect.initial
    std::optional<std::string> reason;
};

struct Error {
    std::optional<std::string> ref;
    std::string code;                     // as sent; may be a code from a newer version
    std::optional<ErrorCode> known_code;  // set when `code` is one we know
    std::string message;
    std::optional<std::string> path;
};

struct Signed {
    std::string jws;  // compact JWS; verified and unwrapped by the signature module
};

using Body = std::variant<Welcome, Execute, Cancel, ExecuteApproved, Deploy, UpdateAgent,
                          HealthCheck, ConfigUpdate, ResultAck, StreamLogs, StopStream, Ping, Pong,
                          Reconnect, Error, Signed>;

}  // namespace outpost::protocol::inbound

namespace outpost::protocol {

struct InboundMessage {
    std::string type;
    std::string id;
    std::string ts;  // RFC 3339, validated
    inbound::Body body;
};

}  // namespace outpost::protocol
