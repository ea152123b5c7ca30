#include "agent/alerts/alert_rules.hpp"

#include <fmt/format.h>

#include "agent/alerts/message_template.hpp"

namespace outpost::alerts {
namespace {

std::string_view operator_text(config::AlertOperator op) {
    switch (op) {
        case config::AlertOperator::greater:
            return ">";
        case config::AlertOperator::greater_or_equal:
            return ">=";
        case config::AlertOperator::less:
            return "<";
        case config::AlertOperator::less_or_equal:
            return "<=";
    }
    return "?";
}

bool compare(config::AlertOperator op, double value, double threshold) {
    switch (op) {
        case config::AlertOperator::greater:
            return value > threshold;
        case config::AlertOperator::greater_or_equal:
            return value >= threshold;
        case config::AlertOperator::less:
            return value < threshold;
        case config::AlertOperator::less_or_equal:
            return value <= threshold;
    }
    return false;
}

// Every field, numbers in full precision: two rules differ exactly when
// their fingerprints do.
std::string fingerprint_of(const config::AlertRule& rule) {
    return fmt::format("{}\n{}\n{}\n{:a}\n{}\n{}\n{}\n{}", rule.name, rule.metric,
                       operator_text(rule.op), rule.threshold, rule.for_duration.count(),
                       protocol::outbound::to_string(rule.severity),
                       rule.clear ? fmt::format("{:a}", *rule.clear) : std::string("-"),
                       rule.message.value_or(std::string(kDefaultMessage)));
}

}  // namespace

bool CompiledRule::holds(double value) const {
    return compare(def.op, value, def.threshold);
}

bool CompiledRule::still_firing(double value) const {
    // Firing with `>` goes on while value > clear; it resolves at or below
    // it (and the reverse for `<`). `>=`/`<=` keep the boundary inside.
    return compare(def.op, value, clear());
}

Expected<std::vector<CompiledRule>> compile_rules(const std::vector<config::AlertRule>& rules) {
    std::vector<CompiledRule> compiled;
    compiled.reserve(rules.size());
    for (const auto& rule : rules) {
        auto path = parse_metric_path(rule.metric);
        if (!path)
            return std::unexpected(path.error().context(fmt::format("rule `{}`", rule.name)));
        compiled.push_back(CompiledRule{rule, std::move(*path), fingerprint_of(rule)});
    }
    return compiled;
}

std::string describe(const config::AlertRule& rule) {
    return fmt::format("{}: {} {} {} for {}s, clear {}, {}", rule.name, rule.metric,
                       operator_text(rule.op), format_number(rule.threshold),
                       std::chrono::duration_cast<std::chrono::seconds>(rule.for_duration).count(),
                       format_number(rule.clear.value_or(rule.threshold)),
                       protocol::outbound::to_string(rule.severity));
}

}  // namespace outpost::alerts
