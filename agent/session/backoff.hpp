#pragma once
// Exponential backoff with full jitter (§5): before attempt n (n >= 1) wait a
// uniformly random time in [0, min(max, initial * 2^(n-1))].
//
// "Attempt n" counts consecutive unsuccessful connections: the first failure
// makes the next attempt number 1. The very first connection at start-up is
// not delayed. The counter goes back to 0 when a session stayed up for
// `stable_after` (the policy calls reset()).

#include <chrono>
#include <cstdint>

#include "agent/session/clock.hpp"

namespace outpost::session {

// A uniform draw in [0, upper] milliseconds; upper <= 0 gives 0.
[[nodiscard]] std::chrono::milliseconds jitter(Random& random, std::chrono::milliseconds upper);
// A uniform draw in [low, high] milliseconds (§5: "every fixed floor gets
// jitter above it"); high <= low gives low.
[[nodiscard]] std::chrono::milliseconds uniform_between(Random& random,
                                                        std::chrono::milliseconds low,
                                                        std::chrono::milliseconds high);

class Backoff {
  public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);

    // min(max, initial * 2^(attempt-1)), without overflow for any attempt;
    // attempt 0 is treated as 1.
    [[nodiscard]] static std::chrono::milliseconds ceiling(std::chrono::milliseconds initial,
                                                           std::chrono::milliseconds max,
                                                           std::uint64_t attempt);
    [[nodiscard]] std::chrono::milliseconds ceiling(std::uint64_t attempt) const;

    // Counts one more unsuccessful connection; returns the new attempt number.
    std::uint64_t record_failure();
    // The jittered wait before the current attempt number.
    [[nodiscard]] std::chrono::milliseconds draw(Random& random) const;
    // record_failure() then draw().
    [[nodiscard]] std::chrono::milliseconds next(Random& random);

    void reset() { attempt_ = 0; }
    [[nodiscard]] std::uint64_t attempt() const { return attempt_; }
    [[nodiscard]] std::chrono::milliseconds initial() const { return initial_; }
    [[nodiscard]] std::chrono::milliseconds max() const { return max_; }

  private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::uint64_t attempt_ = 0;
};

}  // namespace outpost::session
