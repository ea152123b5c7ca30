#include "agent/telemetry/run_collectors.hpp"

#include <exception>

namespace outpost::telemetry {
namespace {

using protocol::outbound::CollectorProblem;

CollectorOutcome run_one(collectors::Collector& collector,
                         const collectors::CollectRequest& request,
                         protocol::outbound::Telemetry& sample) {
    CollectorOutcome outcome;
    outcome.name = std::string(collector.name());
    const auto started = std::chrono::steady_clock::now();
    // Exceptions stop here (style.md: they never cross a module boundary):
    // a collector's bug must not take the thread, and the other
    // collectors, down with it.
    try {
        auto collected = collector.collect(request, sample);
        if (!collected) {
            outcome.state = CollectorOutcome::State::failed;
            outcome.message = collected.error().message();
        } else if (collected->skipped) {
            outcome.state = CollectorOutcome::State::skipped;
            outcome.message = collected->why;
        } else {
            outcome.note = collected->note;
        }
    } catch (const std::exception& e) {
        outcome.state = CollectorOutcome::State::failed;
        outcome.message = std::string("threw: ") + e.what();
    } catch (...) {
        outcome.state = CollectorOutcome::State::failed;
        outcome.message = "threw a non-standard exception";
    }
    outcome.took = std::chrono::steady_clock::now() - started;
    return outcome;
}

}  // namespace

CollectedSample run_collectors(CollectorSet& set, const collectors::CollectRequest& request) {
    CollectedSample out;
    const auto started = std::chrono::steady_clock::now();
    for (const auto& collector : set) {
        CollectorOutcome outcome = run_one(*collector, request, out.sample);
        if (outcome.state == CollectorOutcome::State::ok && !outcome.note.empty()) {
            out.sample.collectors.push_back(
                CollectorProblem{.collector = outcome.name,
                                 .state = CollectorProblem::State::partial,
                                 .message = outcome.note});
        } else if (outcome.state != CollectorOutcome::State::ok) {
            out.sample.collectors.push_back(
                CollectorProblem{.collector = outcome.name,
                                 .state = outcome.state == CollectorOutcome::State::skipped
                                              ? CollectorProblem::State::skipped
                                              : CollectorProblem::State::failed,
                                 .message = outcome.message});
        }
        out.outcomes.push_back(std::move(outcome));
    }
    out.took = std::chrono::steady_clock::now() - started;
    return out;
}

}  // namespace outpost::telemetry
