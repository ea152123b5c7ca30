#pragma once
// Times are stored as Unix milliseconds.

#include <chrono>
#include <cstdint>
#include <optional>

#include "agent/journal/command.hpp"

namespace outpost::journal {

[[nodiscard]] inline std::int64_t to_ms(TimePoint time) {
    return std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

[[nodiscard]] inline TimePoint from_ms(std::int64_t ms) {
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

[[nodiscard]] inline std::optional<std::int64_t> to_ms(const std::optional<TimePoint>& time) {
    if (!time) return std::nullopt;
    return to_ms(*time);
}

[[nodiscard]] inline std::optional<TimePoint> from_ms(const std::optional<std::int64_t>& ms) {
    if (!ms) return std::nullopt;
    return from_ms(*ms);
}

}  // namespace outpost::journal
