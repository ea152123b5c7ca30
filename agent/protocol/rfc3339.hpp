#pragma once
// RFC 3339 timestamps: formatting in the wire form (UTC, milliseconds) and
// strict parsing of any RFC 3339 date-time (offsets, fractional seconds).

#include <chrono>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::protocol {

using TimePoint = std::chrono::system_clock::time_point;

// "2026-11-22T10:00:00.123Z": UTC, exactly three fraction digits (truncated).
[[nodiscard]] std::string format_rfc3339(TimePoint time);

// The current time in the wire form.
[[nodiscard]] std::string now_rfc3339();

// Parses `date-time` of RFC 3339 §5.6: "T" or "t" separator, "Z"/"z" or a
// numeric offset, any number of fraction digits (precision beyond the clock's
// is truncated). A leap second (:60) is accepted and lands on the next second.
// Fails on anything else, and on instants the system clock cannot represent
// (outside roughly 1678..2262).
[[nodiscard]] Expected<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace outpost::protocol
