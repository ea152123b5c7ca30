#pragma once
// The alert engine: pure policy, no I/O, the clock passed in (like
// agent/session beside agent/runtime). It keeps one state machine per rule
// and subject and says which `alert` messages to send; the caller sends
// them, persists states() when revision() moved, and re-checks the node's
// status when the set of firing critical alerts changed.
//
// Per rule and subject (docs/alerts.md has the full rules):
//   idle ──value holds──▶ pending ──held for `for`──▶ firing ──past clear──▶ idle
//           (`for` 0: straight to firing)   │ value stops holding → idle, nothing sent
// - `firing` is sent once on entering firing, `resolved` once on leaving it;
//   pending sends nothing. `since` is when the value began to hold.
// - Hysteresis: firing ends only once the value is past `clear`, and firing
//   again needs the full `for` again; flapping around the threshold is
//   damped by both.
// - Gaps: a sample without the subject's value (a failed collector, a rate
//   on the first sample, a disk that is gone) keeps the state. After more
//   than `max_missed_samples` samples in a row without it, a pending state is
//   dropped and a firing one resolves (with its last value, "no data"): a
//   disk unmounted while its alert fires resolves this way.
// - A rule changed while it fires resolves under its old definition and is
//   evaluated afresh under the new one; a removed rule resolves its alerts.
//   The same holds across a restart (restore()), by the rule's fingerprint.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/alerts/alert_rules.hpp"
#include "agent/alerts/metric_resolve.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::alerts {

using TimePoint = std::chrono::system_clock::time_point;

enum class Phase { pending, firing };

// One rule and subject that is not idle; what restore() needs to go on.
struct SubjectState {
    std::string rule;
    std::string subject;
    Phase phase = Phase::pending;
    TimePoint since;           // when the value began to hold
    double value = 0;          // the last value read
    std::uint32_t missed = 0;  // samples in a row without a value
    // The definition it was evaluated under, to resolve it correctly once
    // the rule changed or is gone.
    std::string fingerprint;
    protocol::outbound::Severity severity = protocol::outbound::Severity::warning;
    double threshold = 0;
    std::string message;  // the firing message
    bool operator==(const SubjectState&) const = default;
};

struct EngineOptions {
    std::uint32_t max_missed_samples = 3;
};

class AlertEngine {
  public:
    using Alerts = std::vector<protocol::outbound::Alert>;

    explicit AlertEngine(std::vector<CompiledRule> rules, EngineOptions options = {});

    // States persisted before a restart. A firing state of an unchanged rule
    // goes on silently (it was announced); one whose rule changed or is gone
    // is resolved now. Replaces any state held.
    [[nodiscard]] Alerts restore(std::vector<SubjectState> states);

    // A new rule set (config_update): changed and removed rules resolve what
    // they fire; unchanged rules keep their states.
    [[nodiscard]] Alerts set_rules(std::vector<CompiledRule> rules);

    // One complete sample (the encoded `telemetry` data) read at `now`.
    // States left by rules that changed or are gone (put back by
    // put_back()) are resolved first.
    [[nodiscard]] Alerts evaluate(const json::Value& sample, TimePoint now);

    // Replaces the states with `states` (an earlier states()) as they are,
    // sending nothing: the caller could not hand on the messages of a
    // change, so the change is undone and made again by the next evaluate().
    void put_back(std::vector<SubjectState> states);

    [[nodiscard]] const std::vector<CompiledRule>& rules() const { return rules_; }
    // Every non-idle state, ordered by rule name then subject.
    [[nodiscard]] std::vector<SubjectState> states() const;
    // Moves whenever a state is added, removed or changes phase: the cue to
    // persist states().
    [[nodiscard]] std::uint64_t revision() const { return revision_; }

  private:
    using Key = std::pair<std::string, std::string>;  // rule name, subject

    void evaluate_rule(const CompiledRule& rule, const json::Value& sample, TimePoint now,
                       Alerts& out);
    void on_value(const CompiledRule& rule, const std::string& subject, double value, TimePoint now,
                  Alerts& out);
    void on_gap(const Key& key, Alerts& out);
    [[nodiscard]] const CompiledRule* find_rule(const std::string& name) const;
    // Resolves (when firing) and drops states whose rule is gone or changed.
    void drop_stale(Alerts& out);

    std::vector<CompiledRule> rules_;
    EngineOptions options_;
    std::map<Key, SubjectState> states_;
    std::uint64_t revision_ = 0;
};

}  // namespace outpost::alerts
