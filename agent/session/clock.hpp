#pragma once
// Time and randomness are injected so the session policy is deterministic
// under test: tests advance a fake clock instead of sleeping and pin the
// random draws to the ends of their ranges.

#include <chrono>
#include <cstdint>
#include <random>

namespace outpost::session {

class Clock {
  public:
    virtual ~Clock() = default;
    // Monotonic time: every deadline and delay is measured on this clock.
    [[nodiscard]] virtual std::chrono::steady_clock::time_point now() const = 0;
    // Wall time: only for what people read (status "since") and for token
    // lifetimes, whose iat/exp are wall-clock values.
    [[nodiscard]] virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

class Random {
  public:
    virtual ~Random() = default;
    // A uniformly distributed integer in [0, n], both ends included.
    [[nodiscard]] virtual std::uint64_t uniform(std::uint64_t n) = 0;
};

class SystemClock final : public Clock {
  public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() const override;
    [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override;
};

// Not for cryptography: jitter only. Not thread-safe (one per policy).
class SystemRandom final : public Random {
  public:
    SystemRandom();
    [[nodiscard]] std::uint64_t uniform(std::uint64_t n) override;

  private:
    std::mt19937_64 engine_;
};

}  // namespace outpost::session
