#pragma once
// The service loop's lag, measured (pure: the pipeline feeds it each probe
// timer's lateness). A timer asked to fire after d fires after d + lag,
// where lag is how long the loop was busy with something else when it was
// due: the delay every other event (a command's ack, a heartbeat, output)
// met at that moment. The meter keeps the last kWindow lateness values and
// reports their p50, p99 and max; the health check grades them.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace outpost::telemetry {

struct LagSummary {
    std::chrono::microseconds p50{};
    std::chrono::microseconds p99{};
    std::chrono::microseconds max{};
    std::size_t samples = 0;
};

class LagMeter {
  public:
    // At one probe every 250 ms, the last 5 minutes (the default
    // health.interval), so each report sees the whole interval before it.
    static constexpr std::size_t kWindow = 1200;

    void record(std::chrono::microseconds lateness);
    // Over the window; zero with no samples.
    [[nodiscard]] LagSummary summary() const;
    // Since the meter was made (or reset), for `outpost status` and the
    // measurements in docs/telemetry.md.
    [[nodiscard]] std::chrono::microseconds worst_ever() const { return worst_ever_; }
    [[nodiscard]] std::uint64_t recorded() const { return recorded_; }
    void reset();

  private:
    std::array<std::int64_t, kWindow> ring_{};  // microseconds
    std::size_t next_ = 0;
    std::size_t used_ = 0;
    std::uint64_t recorded_ = 0;
    std::chrono::microseconds worst_ever_{};
};

}  // namespace outpost::telemetry
