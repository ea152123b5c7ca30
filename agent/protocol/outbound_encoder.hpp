#pragma once
// Serialization of agent → server messages: one uniform envelope
// {"type","id","ts","data"} around each body.

#include <cstddef>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::protocol {

// The wire `type` of a body, e.g. "command_result".
[[nodiscard]] std::string_view type_name(const outbound::Body& body) noexcept;

// The message as JSON text. Strings with invalid UTF-8 are repaired (U+FFFD).
// Throws only std::bad_alloc.
[[nodiscard]] std::string encode(const OutboundMessage& message);

// As encode, but never throws and refuses a result larger than
// `max_message_bytes` (the caller truncates output or splits telemetry).
[[nodiscard]] Expected<std::string> encode_checked(const OutboundMessage& message,
                                                   std::size_t max_message_bytes) noexcept;

}  // namespace outpost::protocol
