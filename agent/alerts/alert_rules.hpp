#pragma once
// A config rule made ready to evaluate: its metric path parsed, and a
// fingerprint of its definition so that a rule changed while it fires is
// noticed, also across a restart (alert_engine.hpp).

#include <string>
#include <vector>

#include "agent/alerts/metric_path.hpp"
#include "agent/common/error.hpp"
#include "agent/config/config.hpp"

namespace outpost::alerts {

struct CompiledRule {
    config::AlertRule def;
    MetricPath path;
    std::string fingerprint;  // the definition as text; equal exactly when the rules are

    [[nodiscard]] double clear() const { return def.clear.value_or(def.threshold); }
    // The firing condition: `value op threshold`.
    [[nodiscard]] bool holds(double value) const;
    // While firing: still not past the clear threshold (hysteresis).
    [[nodiscard]] bool still_firing(double value) const;
};

// The rules in config order; an error (invalid_input) names the rule whose
// metric path does not parse (the config loader checked it, so only a rule
// built elsewhere can fail).
[[nodiscard]] Expected<std::vector<CompiledRule>> compile_rules(
    const std::vector<config::AlertRule>& rules);

// "disk_full: > 80 for 0s, clear 75, warning, system.disks[*].used_percent"
[[nodiscard]] std::string describe(const config::AlertRule& rule);

}  // namespace outpost::alerts
