#include "agent/telemetry/lag_meter.hpp"

#include <algorithm>
#include <vector>

namespace outpost::telemetry {

void LagMeter::record(std::chrono::microseconds lateness) {
    lateness = std::max(lateness, std::chrono::microseconds(0));  // a timer is never early
    ring_[next_] = lateness.count();
    next_ = (next_ + 1) % kWindow;
    used_ = std::min(used_ + 1, kWindow);
    ++recorded_;
    worst_ever_ = std::max(worst_ever_, lateness);
}

LagSummary LagMeter::summary() const {
    LagSummary out;
    out.samples = used_;
    if (used_ == 0) return out;
    // A copy sorted once per report (at most kWindow values, a few µs).
    std::vector<std::int64_t> sorted(ring_.begin(), ring_.begin() + static_cast<long>(used_));
    std::sort(sorted.begin(), sorted.end());
    // Nearest rank: the smallest value with at least p % of the samples at
    // or below it.
    const auto rank = [&](std::size_t percent) {
        const std::size_t index = (percent * used_ + 99) / 100;
        return std::chrono::microseconds(sorted[std::max<std::size_t>(index, 1) - 1]);
    };
    out.p50 = rank(50);
    out.p99 = rank(99);
    out.max = std::chrono::microseconds(sorted.back());
    return out;
}

void LagMeter::reset() {
    *this = LagMeter{};
}

}  // namespace outpost::telemetry
