#pragma once
// When samples are taken (pure: no clock, no loop; the pipeline feeds it
// the times). A sample is due every interval, counted from the first one;
// the interval in force is the server's `welcome.telemetry_s` when it set
// one, `telemetry.interval` (file or config_update) otherwise.
//
// Samples never queue up: a tick that comes while the previous sample is
// still being collected is skipped and counted, and so is every tick the
// loop itself missed (a loop blocked for three intervals takes one sample
// when it wakes, not three in a row).

#include <chrono>
#include <cstdint>
#include <optional>

namespace outpost::telemetry {

using Clock = std::chrono::steady_clock;

[[nodiscard]] std::chrono::milliseconds sample_interval(
    std::chrono::milliseconds configured, std::optional<std::uint32_t> server_seconds);

class TickPolicy {
  public:
    explicit TickPolicy(std::chrono::milliseconds interval) : interval_(interval) {}

    // Restarts the schedule: the next sample is due one interval after `now`.
    void reset(std::chrono::milliseconds interval, Clock::time_point now);
    [[nodiscard]] Clock::time_point next_due() const { return next_due_; }
    [[nodiscard]] std::chrono::milliseconds interval() const { return interval_; }

    // The tick due at next_due() fired at `now`. Returns whether to start a
    // sample (false: one is still in flight; counted as skipped) and moves
    // next_due() past `now`, counting the ticks that were missed meanwhile.
    [[nodiscard]] bool on_tick(Clock::time_point now, bool sample_in_flight);

    [[nodiscard]] std::uint64_t skipped() const { return skipped_; }

  private:
    std::chrono::milliseconds interval_;
    Clock::time_point next_due_{};
    std::uint64_t skipped_ = 0;
};

}  // namespace outpost::telemetry
