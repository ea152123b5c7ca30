// libFuzzer target for the protocol codec: parses arbitrary bytes as an
// inbound message and checks what a successful or failed parse promises, then
// pushes the input through the outbound encoder and checks the JSON it emits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <simdjson.h>

#include "agent/common/json/utf8.hpp"
#include "agent/protocol/field_reader.hpp"
#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/limits.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace {

using namespace outpost::protocol;

constexpr std::size_t kLimit = 64 * 1024;
constexpr const char* kId = "00000000-0000-4000-8000-000000000000";
constexpr const char* kTs = "2026-11-22T10:00:00.123Z";

void require(bool condition) {
    if (!condition) {
        __builtin_trap();
    }
}

// Encoded text must be valid JSON whose `data` member is an object.
simdjson::dom::object reparse_data(simdjson::dom::parser& parser, const std::string& text) {
    simdjson::dom::object root;
    require(parser.parse(text).get_object().get(root) == simdjson::SUCCESS);
    simdjson::dom::object data;
    require(root["data"].get_object().get(data) == simdjson::SUCCESS);
    return data;
}

void check_body(const inbound::Body& body) {
    std::visit(
        [](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (requires { m.request_id; }) {
                require(is_valid_request_id(m.request_id));
            }
            if constexpr (requires { m.stream_id; }) {
                require(is_valid_request_id(m.stream_id));
            }
            if constexpr (std::is_same_v<T, inbound::Welcome>) {
                require(m.heartbeat_s >= limits::kMinHeartbeatS &&
                        m.heartbeat_s <= limits::kMaxHeartbeatS);
                // Lenient: kept only when it is RFC 3339, else empty.
                require(m.server_time.empty() || parse_rfc3339(m.server_time).has_value());
                require(!m.telemetry_s || (*m.telemetry_s >= limits::kMinTelemetryS &&
                                           *m.telemetry_s <= limits::kMaxTelemetryS));
            }
            if constexpr (std::is_same_v<T, inbound::Execute>) {
                require(!m.command.empty());
                require(!m.timeout_ms || *m.timeout_ms <= limits::kMaxTimeoutMs);
                for (const auto& arg : m.args) {
                    require(arg.find('\0') == std::string::npos);
                }
            }
            if constexpr (std::is_same_v<T, inbound::ConfigUpdate>) {
                simdjson::dom::parser parser;
                simdjson::dom::element config;
                require(parser.parse(m.config_json).get(config) == simdjson::SUCCESS);
                require(config.is_object());
                require(simdjson::minify(config) == m.config_json);
            }
            if constexpr (std::is_same_v<T, inbound::StreamLogs>) {
                require(m.lines <= limits::kMaxStreamLines);
            }
            if constexpr (std::is_same_v<T, inbound::Reconnect>) {
                require(!m.after_ms || *m.after_ms <= limits::kMaxAfterMs);
            }
        },
        body);
}

// An `error` reply built from a failure must itself parse as a valid inbound
// error carrying the same code, path and ref.
void check_error_reply(InboundParser& parser, const ProtocolError& error) {
    if (error.ref) {
        require(!error.ref->empty() && error.ref->size() <= limits::kMaxIdLength);
    }
    const std::string text = encode(OutboundMessage{kId, kTs, outbound::error_reply(error)});
    const auto back = parser.parse(text, limits::kDefaultMaxMessageBytes);
    require(back.has_value());
    const auto& reply = std::get<inbound::Error>(back->body);
    require(reply.known_code == error.code);
    require(reply.ref == error.ref);
    require(reply.path == error.path);
}

// Arbitrary bytes through the writer: valid JSON, and the string decodes to
// the input with ill-formed UTF-8 replaced.
void check_writer(std::string_view input) {
    const std::string text =
        encode(OutboundMessage{kId, kTs, outbound::LogLine{"s-1", std::string(input), kTs}});
    simdjson::dom::parser parser;
    const simdjson::dom::object data = reparse_data(parser, text);
    std::string_view line;
    require(data["line"].get_string().get(line) == simdjson::SUCCESS);
    require(line == outpost::json::utf8::sanitize(input));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    static InboundParser parser;
    const std::string_view input(reinterpret_cast<const char*>(bytes), size);

    const auto parsed = parser.parse(input, kLimit);
    if (parsed) {
        require(!parsed->type.empty());
        require(!parsed->id.empty() && parsed->id.size() <= limits::kMaxIdLength);
        require(parse_rfc3339(parsed->ts).has_value());
        require(outpost::json::utf8::find_invalid(input) == std::string_view::npos);
        check_body(parsed->body);
        // Parsing the same text again gives the same answer (no state leaks between calls).
        const auto again = parser.parse(input, kLimit);
        require(again.has_value() && again->id == parsed->id &&
                again->body.index() == parsed->body.index());
        // Answer pings the way the session will, and check the pong parses back.
        if (std::holds_alternative<inbound::Ping>(parsed->body)) {
            const std::string pong = encode(OutboundMessage{kId, kTs, outbound::Pong{parsed->id}});
            const auto back = parser.parse(pong, limits::kDefaultMaxMessageBytes);
            require(back.has_value() && std::get<inbound::Pong>(back->body).ref == parsed->id);
        }
    } else {
        if (size > kLimit) {
            require(parsed.error().code == ErrorCode::too_large);
        }
        check_error_reply(parser, parsed.error());
    }
    if (size <= 4096) {
        check_writer(input);
    }
    return 0;
}
