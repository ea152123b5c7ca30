#include "agent/session/backoff.hpp"

#include <algorithm>
#include <limits>

namespace outpost::session {

using std::chrono::milliseconds;

milliseconds jitter(Random& random, milliseconds upper) {
    if (upper.count() <= 0) return milliseconds{0};
    const auto bound = static_cast<std::uint64_t>(upper.count());
    // Clamp in case a Random implementation strays outside [0, n].
    const std::uint64_t drawn = std::min(random.uniform(bound), bound);
    return milliseconds{static_cast<milliseconds::rep>(drawn)};
}

milliseconds uniform_between(Random& random, milliseconds low, milliseconds high) {
    return low + jitter(random, high - low);
}

Backoff::Backoff(milliseconds initial, milliseconds max)
    : initial_(std::max(initial, milliseconds{0})), max_(std::max(max, milliseconds{0})) {}

milliseconds Backoff::ceiling(milliseconds initial, milliseconds max, std::uint64_t attempt) {
    if (initial.count() <= 0 || max.count() <= 0) return milliseconds{0};
    if (initial >= max) return max;
    const std::uint64_t shift = attempt == 0 ? 0 : attempt - 1;
    // initial * 2^shift > max  <=>  initial > max / 2^shift; once 2^shift is
    // wider than the representation the cap has long been reached.
    constexpr std::uint64_t rep_bits = std::numeric_limits<milliseconds::rep>::digits;
    if (shift >= rep_bits) return max;
    const auto initial_count = static_cast<std::uint64_t>(initial.count());
    const auto max_count = static_cast<std::uint64_t>(max.count());
    if (initial_count > (max_count >> shift)) return max;
    return milliseconds{static_cast<milliseconds::rep>(initial_count << shift)};
}

milliseconds Backoff::ceiling(std::uint64_t attempt) const {
    return ceiling(initial_, max_, attempt);
}

std::uint64_t Backoff::record_failure() {
    if (attempt_ < std::numeric_limits<std::uint64_t>::max()) ++attempt_;
    return attempt_;
}

milliseconds Backoff::draw(Random& random) const {
    return jitter(random, ceiling(attempt_));
}

milliseconds Backoff::next(Random& random) {
    record_failure();
    return draw(random);
}

}  // namespace outpost::session
