#pragma once
// A LogRecord as the `log_line` it goes out as, and the drop marker
// (docs/protocol-notes.md, "Log streaming"). Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/logs/log_source.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::logs::streams {

// " [outpost: 1234 bytes cut]": what a cut line ends with on the wire.
[[nodiscard]] std::string cut_marker(std::uint64_t cut_bytes);

// The largest line text that fits a message of `max_message_bytes` however
// it is escaped (a control byte becomes six: \u0001).
[[nodiscard]] std::size_t max_text_for(std::size_t max_message_bytes);

// `record` as a log_line of `stream_id`: a text over `max_text_bytes` is cut
// further (at a code-point boundary); a cut line gets the cut marker and
// `truncated: true`; a partial line `partial: true`.
[[nodiscard]] protocol::outbound::LogLine to_log_line(std::string_view stream_id, LogRecord record,
                                                      std::size_t max_text_bytes);

// "[outpost: 12 lines dropped]" with `dropped: 12`, stamped `now`.
[[nodiscard]] protocol::outbound::LogLine drop_marker(std::string_view stream_id,
                                                      std::uint64_t lines, TimePoint now);

}  // namespace outpost::logs::streams
