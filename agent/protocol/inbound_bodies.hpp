#pragma once
// The `data` reader for each server → agent message type.

#include <string_view>

#include "agent/protocol/field_reader.hpp"
#include "agent/protocol/inbound_messages.hpp"

namespace outpost::protocol {

// Reads a message body from `data`; the caller checks `data.failed()`.
using BodyReader = inbound::Body (*)(FieldReader& data);

// nullptr for a type this version does not know.
[[nodiscard]] BodyReader find_body_reader(std::string_view type) noexcept;

}  // namespace outpost::protocol
