#include "agent/telemetry/tick_policy.hpp"

#include <algorithm>

namespace outpost::telemetry {

std::chrono::milliseconds sample_interval(std::chrono::milliseconds configured,
                                          std::optional<std::uint32_t> server_seconds) {
    if (server_seconds && *server_seconds > 0) return std::chrono::seconds(*server_seconds);
    return std::max(configured, std::chrono::milliseconds(1));
}

void TickPolicy::reset(std::chrono::milliseconds interval, Clock::time_point now) {
    interval_ = std::max(interval, std::chrono::milliseconds(1));
    next_due_ = now + interval_;
}

bool TickPolicy::on_tick(Clock::time_point now, bool sample_in_flight) {
    // Ticks whose time passed while the loop could not run them: one more
    // interval per missed tick, each counted as skipped.
    if (now >= next_due_ + interval_) {
        const auto missed = static_cast<std::uint64_t>((now - next_due_) / interval_);
        skipped_ += missed;
        next_due_ += interval_ * static_cast<std::int64_t>(missed);
    }
    next_due_ += interval_;
    if (sample_in_flight) {
        ++skipped_;
        return false;
    }
    return true;
}

}  // namespace outpost::telemetry
