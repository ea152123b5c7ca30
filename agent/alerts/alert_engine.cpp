#include "agent/alerts/alert_engine.hpp"

#include <set>

#include <fmt/format.h>

#include "agent/alerts/alert_id.hpp"
#include "agent/alerts/message_template.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::alerts {
namespace {

using protocol::outbound::Alert;
using protocol::outbound::AlertState;

std::string rendered(const CompiledRule& rule, const std::string& subject, double value) {
    return render_message(rule.def.message.value_or(std::string(kDefaultMessage)),
                          MessageFields{.rule = rule.def.name,
                                        .metric = rule.def.metric,
                                        .subject = subject,
                                        .value = value,
                                        .threshold = rule.def.threshold});
}

// The message of a state that ends: its state's definition, its last value.
Alert message_of(const SubjectState& state, AlertState which, std::string message) {
    return Alert{.alert_id = alert_id(state.rule, state.subject),
                 .rule = state.rule,
                 .severity = state.severity,
                 .state = which,
                 .message = std::move(message),
                 .value = state.value,
                 .threshold = state.threshold,
                 .since = protocol::format_rfc3339(state.since)};
}

Alert resolved_because(const SubjectState& state, std::string_view why) {
    return message_of(state, AlertState::resolved,
                      fmt::format("{} (resolved: {})", state.message, why));
}

}  // namespace

AlertEngine::AlertEngine(std::vector<CompiledRule> rules, EngineOptions options)
    : rules_(std::move(rules)), options_(options) {}

const CompiledRule* AlertEngine::find_rule(const std::string& name) const {
    for (const auto& rule : rules_) {
        if (rule.def.name == name) return &rule;
    }
    return nullptr;
}

void AlertEngine::drop_stale(Alerts& out) {
    for (auto it = states_.begin(); it != states_.end();) {
        const CompiledRule* rule = find_rule(it->second.rule);
        if (rule != nullptr && rule->fingerprint == it->second.fingerprint) {
            ++it;
            continue;
        }
        if (it->second.phase == Phase::firing) {
            out.push_back(resolved_because(it->second,
                                           rule ? "the rule was changed" : "the rule was removed"));
        }
        it = states_.erase(it);
        ++revision_;
    }
}

AlertEngine::Alerts AlertEngine::restore(std::vector<SubjectState> states) {
    put_back(std::move(states));
    Alerts out;
    drop_stale(out);
    return out;
}

void AlertEngine::put_back(std::vector<SubjectState> states) {
    states_.clear();
    for (auto& state : states) {
        Key key{state.rule, state.subject};
        states_.insert_or_assign(std::move(key), std::move(state));
    }
    ++revision_;
}

AlertEngine::Alerts AlertEngine::set_rules(std::vector<CompiledRule> rules) {
    rules_ = std::move(rules);
    Alerts out;
    drop_stale(out);
    return out;
}

AlertEngine::Alerts AlertEngine::evaluate(const json::Value& sample, TimePoint now) {
    Alerts out;
    drop_stale(out);
    for (const auto& rule : rules_) evaluate_rule(rule, sample, now, out);
    return out;
}

void AlertEngine::evaluate_rule(const CompiledRule& rule, const json::Value& sample, TimePoint now,
                                Alerts& out) {
    std::set<std::string> seen;
    for (const auto& reading : resolve(rule.path, sample)) {
        if (!seen.insert(reading.subject).second) continue;  // two items, one name: the first
        if (reading.value) {
            on_value(rule, reading.subject, *reading.value, now, out);
        } else {
            on_gap(Key{rule.def.name, reading.subject}, out);
        }
    }
    // Subjects no longer listed at all (a wildcard's item went away) are gaps too.
    std::vector<Key> absent;
    for (auto it = states_.lower_bound(Key{rule.def.name, ""});
         it != states_.end() && it->first.first == rule.def.name; ++it) {
        if (!seen.contains(it->first.second)) absent.push_back(it->first);
    }
    for (const auto& key : absent) on_gap(key, out);
}

void AlertEngine::on_value(const CompiledRule& rule, const std::string& subject, double value,
                           TimePoint now, Alerts& out) {
    const Key key{rule.def.name, subject};
    auto it = states_.find(key);
    if (it == states_.end()) {
        if (!rule.holds(value)) return;
        SubjectState fresh{.rule = rule.def.name,
                           .subject = subject,
                           .phase = Phase::pending,
                           .since = now,
                           .value = value,
                           .missed = 0,
                           .fingerprint = rule.fingerprint,
                           .severity = rule.def.severity,
                           .threshold = rule.def.threshold,
                           .message = {}};
        it = states_.emplace(key, std::move(fresh)).first;
        ++revision_;
    }
    SubjectState& state = it->second;
    state.value = value;
    state.missed = 0;
    if (state.phase == Phase::firing) {
        if (rule.still_firing(value)) return;
        out.push_back(message_of(state, AlertState::resolved, rendered(rule, subject, value)));
        states_.erase(it);
        ++revision_;
        return;
    }
    if (!rule.holds(value)) {  // pending, and the condition broke: back to idle, silently
        states_.erase(it);
        ++revision_;
        return;
    }
    if (now - state.since < rule.def.for_duration) return;
    state.phase = Phase::firing;
    state.message = rendered(rule, subject, value);
    out.push_back(message_of(state, AlertState::firing, state.message));
    ++revision_;
}

void AlertEngine::on_gap(const Key& key, Alerts& out) {
    auto it = states_.find(key);
    if (it == states_.end()) return;
    SubjectState& state = it->second;
    if (++state.missed <= options_.max_missed_samples) return;
    if (state.phase == Phase::firing) {
        out.push_back(resolved_because(state, fmt::format("no data for {} samples", state.missed)));
    }
    states_.erase(it);
    ++revision_;
}

std::vector<SubjectState> AlertEngine::states() const {
    std::vector<SubjectState> out;
    out.reserve(states_.size());
    for (const auto& [key, state] : states_) out.push_back(state);
    return out;
}

}  // namespace outpost::alerts
