#pragma once
// How the `health` checks (protocol.md §3.2) are graded (pure). What is
// read — statvfs of the state directory and /proc/meminfo on the collection
// thread, the journal's bounded quick_check on the loop — arrives as
// HealthReadings; the loop adds the lag it measures itself and the
// container verdict of the latest sample.
//
// Thresholds (docs/telemetry.md, "Pipeline"):
// - agent: the service loop's lag over the last LagMeter::kWindow probes:
//   warn when p99 >= 50 ms or max >= 1 s, fail when p99 >= 500 ms or
//   max >= 10 s (commands' 100 ms ack deadline, §3.3, is the yardstick);
// - disk (the state directory's file system): free < 10 % warn, < 2 % fail;
// - memory (MemAvailable / MemTotal): < 10 % warn, < 5 % fail;
// - database: quick_check "ok" → ok; a complaint → fail; a check that did
//   not finish within its bound → warn (a large journal or a busy disk,
//   not a broken file); a journal the agent already found unusable → fail
//   with its reason.

#include <chrono>
#include <optional>
#include <string>

#include "agent/common/error.hpp"
#include "agent/journal/quick_check.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/telemetry/lag_meter.hpp"

namespace outpost::telemetry {

// A share in [0, 1], or why it could not be read.
using Ratio = Expected<double>;

// What the collection thread read for one report.
struct HealthReadings {
    Ratio disk_free = fail("not read");
    Ratio memory_available = fail("not read");
    std::optional<Expected<journal::QuickCheck>> database;  // none: no journal file
};

struct LagThresholds {
    std::chrono::milliseconds warn_p99{50};
    std::chrono::milliseconds warn_max{1000};
    std::chrono::milliseconds fail_p99{500};
    std::chrono::milliseconds fail_max{10'000};
};

// What the loop adds to the readings.
struct LoopFacts {
    LagSummary lag;
    std::string journal_problem;  // empty: the journal is usable
    // The containers verdict of the latest sample; none: skipped (no
    // containers collector, or it was skipped, or no sample yet).
    std::optional<std::pair<protocol::outbound::CheckResult, std::string>> containers;
    std::string containers_skipped_why = "no sample with containers yet";
};

[[nodiscard]] protocol::outbound::Health grade_health(std::optional<std::string> ref,
                                                      const HealthReadings& readings,
                                                      const LoopFacts& loop,
                                                      const LagThresholds& lag = {});

// The readings themselves (blocking reads: collection thread only).
[[nodiscard]] Ratio read_disk_free(const std::string& directory);
[[nodiscard]] Ratio read_memory_available(const std::string& proc_root);

}  // namespace outpost::telemetry
