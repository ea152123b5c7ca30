#include "agent/protocol/inbound_parser.hpp"

#include <exception>
#include <new>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "agent/common/json/utf8.hpp"
#include "agent/protocol/field_reader.hpp"
#include "agent/protocol/inbound_bodies.hpp"
#include "agent/protocol/limits.hpp"

namespace outpost::protocol {
namespace {

std::unexpected<ProtocolError> failure(ErrorCode code, std::string message,
                                       std::optional<std::string> path = std::nullopt,
                                       std::optional<std::string> ref = std::nullopt) {
    return std::unexpected(
        ProtocolError{code, std::move(message), std::move(path), std::move(ref)});
}

// The envelope `id` when it is a usable string, for the error reply's `ref`.
std::optional<std::string> envelope_id(simdjson::dom::object root) {
    std::string_view id;
    if (root.at_key("id").get_string().get(id) != simdjson::SUCCESS || id.empty() ||
        id.size() > limits::kMaxIdLength) {
        return std::nullopt;
    }
    return std::string(id);
}

// Shortens a client-supplied string before quoting it in an error message.
std::string excerpt(std::string_view text) {
    constexpr std::size_t kMax = 64;
    if (text.size() <= kMax) {
        return std::string(text);
    }
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;  // don't split a UTF-8 sequence
    }
    return std::string(text.substr(0, cut)) + "...";
}

}  // namespace

ProtocolError InboundParser::parse_failure(simdjson::error_code code, std::string_view text) {
    switch (code) {
        case simdjson::UTF8_ERROR: {
            // protocol.md §3 makes invalid UTF-8 a schema error. The id is still
            // recovered for `ref` by parsing a copy with the bad bytes replaced.
            const std::size_t offset = json::utf8::find_invalid(text);
            std::optional<std::string> ref;
            const std::string repaired = json::utf8::sanitize(text);
            simdjson::dom::object root;
            if (parser_.parse(repaired.data(), repaired.size(), true).get_object().get(root) ==
                simdjson::SUCCESS) {
                ref = envelope_id(root);
                if (ref && ref->find(json::utf8::kReplacement) != std::string::npos) {
                    ref.reset();  // the id itself was damaged; don't name a different one
                }
            }
            return ProtocolError{ErrorCode::schema, fmt::format("invalid UTF-8 at byte {}", offset),
                                 std::nullopt, std::move(ref)};
        }
        case simdjson::DEPTH_ERROR:
            return ProtocolError{ErrorCode::schema,
                                 fmt::format("nesting deeper than {}", limits::kMaxDepth),
                                 std::nullopt, std::nullopt};
        case simdjson::MEMALLOC:
        case simdjson::CAPACITY:
            return ProtocolError{ErrorCode::too_large, "message too large to parse", std::nullopt,
                                 std::nullopt};
        default:
            return ProtocolError{ErrorCode::invalid_json,
                                 fmt::format("invalid JSON: {}", simdjson::error_message(code)),
                                 std::nullopt, std::nullopt};
    }
}

std::expected<InboundMessage, ProtocolError> InboundParser::parse_unchecked(
    std::string_view text, std::size_t max_message_bytes) {
    if (text.size() > max_message_bytes) {
        return failure(ErrorCode::too_large, fmt::format("message is {} bytes; the limit is {}",
                                                         text.size(), max_message_bytes));
    }
    simdjson::dom::element root_element;
    if (const auto code = parser_.parse(text.data(), text.size(), true).get(root_element);
        code != simdjson::SUCCESS) {
        return std::unexpected(parse_failure(code, text));
    }
    simdjson::dom::object root;
    if (root_element.get_object().get(root) != simdjson::SUCCESS) {
        return failure(ErrorCode::schema, "message must be a JSON object", std::string());
    }
    std::optional<std::string> ref = envelope_id(root);
    if (auto problem = structure_.check(root_element)) {
        problem->ref = std::move(ref);
        return std::unexpected(std::move(*problem));
    }

    FieldReader envelope(root, std::string());
    InboundMessage message;
    message.type = envelope.non_empty_string("type");
    message.id = envelope.non_empty_string("id");
    if (!envelope.failed() && message.id.size() > limits::kMaxIdLength) {
        envelope.fail("id", fmt::format("must be at most {} bytes", limits::kMaxIdLength));
    }
    message.ts = envelope.timestamp("ts");
    simdjson::dom::object data_object;
    if (!envelope.failed()) {
        simdjson::dom::element data;
        if (root.at_key("data").get(data) != simdjson::SUCCESS) {
            envelope.fail("data", "missing required field");
        } else if (data.get_object().get(data_object) != simdjson::SUCCESS) {
            envelope.fail("data", "must be an object");
        }
    }
    if (envelope.failed()) {
        ProtocolError error = envelope.take_error();
        error.ref = std::move(ref);
        return std::unexpected(std::move(error));
    }

    const BodyReader reader = find_body_reader(message.type);
    if (reader == nullptr) {
        return failure(ErrorCode::unknown_type,
                       fmt::format("unknown message type \"{}\"", excerpt(message.type)),
                       std::string("/type"), std::move(ref));
    }
    FieldReader data(data_object, "/data");
    message.body = reader(data);
    if (data.failed()) {
        ProtocolError error = data.take_error();
        error.ref = std::move(ref);
        return std::unexpected(std::move(error));
    }
    return message;
}

std::expected<InboundMessage, ProtocolError> InboundParser::parse(
    std::string_view text, std::size_t max_message_bytes) noexcept {
    try {
        return parse_unchecked(text, max_message_bytes);
    } catch (const std::bad_alloc&) {
        return failure(ErrorCode::too_large, "out of memory");  // short: no allocation
    } catch (const std::exception& e) {
        return failure(ErrorCode::invalid_json,
                       fmt::format("unexpected parser failure: {}", e.what()));
    } catch (...) {
        return failure(ErrorCode::invalid_json, "unexpected parser failure");
    }
}

std::expected<InboundMessage, ProtocolError> parse_inbound(std::string_view text,
                                                           std::size_t max_message_bytes) noexcept {
    try {
        InboundParser parser;
        return parser.parse(text, max_message_bytes);
    } catch (...) {
        return failure(ErrorCode::too_large, "out of memory");
    }
}

}  // namespace outpost::protocol
