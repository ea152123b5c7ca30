#pragma once
// Parsing and validation of server → agent messages (protocol.md §3). Nothing
// reaches a handler without passing through here.

#include <cstddef>
#include <expected>
#include <string_view>

#include <simdjson.h>

#include "agent/protocol/errors.hpp"
#include "agent/protocol/inbound_messages.hpp"
#include "agent/protocol/structure_check.hpp"

namespace outpost::protocol {

// Reusable parser: keeps simdjson's buffers between messages. Not thread-safe;
// use one per connection.
class InboundParser {
  public:
    // Never throws. On failure the error names the code, a JSON pointer when
    // one applies, and the envelope `id` (as `ref`) whenever it could be read.
    [[nodiscard]] std::expected<InboundMessage, ProtocolError> parse(
        std::string_view text, std::size_t max_message_bytes) noexcept;

  private:
    std::expected<InboundMessage, ProtocolError> parse_unchecked(std::string_view text,
                                                                 std::size_t max_message_bytes);
    ProtocolError parse_failure(simdjson::error_code code, std::string_view text);

    simdjson::dom::parser parser_;
    StructureChecker structure_;
};

// One-shot convenience (allocates a parser per call).
[[nodiscard]] std::expected<InboundMessage, ProtocolError> parse_inbound(
    std::string_view text, std::size_t max_message_bytes) noexcept;

}  // namespace outpost::protocol
