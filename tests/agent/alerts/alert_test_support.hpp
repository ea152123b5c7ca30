#pragma once
// Synthetic samples and rules for the alert tests.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/alerts/alert_engine.hpp"
#include "agent/config/config.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::alerts::test {

using namespace std::chrono_literals;

// A fixed start, so `since` values are exact.
inline const TimePoint kT0 = TimePoint(std::chrono::seconds(1'765'000'000));

struct Disk {
    std::string mount;
    double used_percent = 0;
    bool failed = false;  // statvfs failed: the numbers are zeros
};

// A sample with the CPU busy % (absent: the first sample) and these disks.
[[nodiscard]] protocol::outbound::Telemetry sample(std::optional<double> cpu,
                                                   std::vector<Disk> disks = {});

[[nodiscard]] config::AlertRule rule(std::string name, std::string metric, double threshold,
                                     std::chrono::milliseconds for_duration = 0ms,
                                     std::optional<double> clear = std::nullopt);

[[nodiscard]] std::vector<CompiledRule> compiled(const std::vector<config::AlertRule>& rules);

// Feeds one sample to the engine.
[[nodiscard]] AlertEngine::Alerts feed(AlertEngine& engine,
                                       const protocol::outbound::Telemetry& sample, TimePoint now);

}  // namespace outpost::alerts::test
