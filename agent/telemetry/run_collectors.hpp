#pragma once
// One sample: every enabled collector in turn, into one Telemetry
// (collection thread only). A collector that throws or returns an Error
// adds a CollectorProblem{failed} and the others still run; one that says
// its source is missing adds CollectorProblem{skipped}.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/protocol/telemetry.hpp"
#include "collectors/collector.hpp"

namespace outpost::telemetry {

using CollectorSet = std::vector<std::unique_ptr<collectors::Collector>>;

struct CollectorOutcome {
    std::string name;
    enum class State { ok, skipped, failed } state = State::ok;
    std::string message;  // why skipped or failed
    std::string note;     // ok, but something about the values (Collected::note)
    std::chrono::steady_clock::duration took{};
};

struct CollectedSample {
    protocol::outbound::Telemetry sample;
    std::vector<CollectorOutcome> outcomes;  // one per collector, in order
    std::chrono::steady_clock::duration took{};
};

[[nodiscard]] CollectedSample run_collectors(CollectorSet& set,
                                             const collectors::CollectRequest& request);

}  // namespace outpost::telemetry
