#include "agent/alerts/alert_monitor.hpp"

#include <fmt/format.h>

#include "agent/alerts/alert_id.hpp"
#include "agent/alerts/alert_state_codec.hpp"
#include "agent/alerts/message_template.hpp"
#include "agent/log/log.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::alerts {
namespace {

constexpr std::string_view kLog = "alerts";

// Rules reach here through the config loader, which checked their paths;
// one that does not compile is logged and left out rather than stopping the
// others.
std::vector<CompiledRule> compiled(const std::vector<config::AlertRule>& rules) {
    std::vector<CompiledRule> out;
    for (const auto& rule : rules) {
        auto one = compile_rules({rule});
        if (!one) {
            log::error(kLog, "{}; the rule is ignored", one.error().message());
            continue;
        }
        out.push_back(std::move(one->front()));
    }
    return out;
}

std::vector<SubjectState> load_states(const AlertMonitor::Hooks& hooks) {
    if (!hooks.load) return {};
    auto text = hooks.load();
    if (!text) {
        log::error(kLog, "cannot read the alert states: {}; starting from none",
                   text.error().message());
        return {};
    }
    if (!*text) return {};
    auto states = decode_states(**text);
    if (!states) {
        log::error(kLog, "{}; starting from none", states.error().message());
        return {};
    }
    return std::move(*states);
}

}  // namespace

AlertMonitor::AlertMonitor(const std::vector<config::AlertRule>& rules, Hooks hooks,
                           EngineOptions options)
    : hooks_(std::move(hooks)), engine_(compiled(rules), options) {
    auto states = load_states(hooks_);
    const bool had_states = !states.empty();
    auto resolved = engine_.restore(states);
    // Nothing to save when nothing was there and nothing changed.
    if (!had_states) saved_revision_ = engine_.revision();
    deliver(std::move(resolved), std::move(states));
    if (had_states) {
        log::info(kLog, "{} alert(s) firing at start", firing().size());
    }
}

void AlertMonitor::on_sample(const protocol::outbound::Telemetry& sample, TimePoint now) {
    if (engine_.rules().empty() && engine_.states().empty()) return;
    auto encoded = EncodedSample::of(sample);
    if (!encoded) {
        log::error(kLog, "cannot read sample {}: {}", sample.seq, encoded.error().message());
        return;
    }
    auto before = engine_.states();
    deliver(engine_.evaluate(encoded->root(), now), std::move(before));
}

void AlertMonitor::set_rules(const std::vector<config::AlertRule>& rules) {
    auto before = engine_.states();
    deliver(engine_.set_rules(compiled(rules)), std::move(before));
    log::info(kLog, "{} alert rule(s) in force", engine_.rules().size());
}

void AlertMonitor::deliver(AlertEngine::Alerts alerts, std::vector<SubjectState> before) {
    for (auto& alert : alerts) {
        log::info(kLog, "alert {} {}: {}", alert.rule, protocol::outbound::to_string(alert.state),
                  alert.message);
        if (!hooks_.send || hooks_.send(alert)) continue;
        // Lost (offline, and the outbox refused it). Saving the new states
        // now would lose the transition for good; undone instead, the next
        // sample makes it again. The messages after this one go then too,
        // and those before it a second time (ids differ, alert_id does not).
        log::warn(kLog,
                  "alert {} {} could not be kept: the alert states stay as they were, and the "
                  "transition is sent again at the next sample",
                  alert.rule, protocol::outbound::to_string(alert.state));
        engine_.put_back(std::move(before));
        return;
    }
    // Saved only now: a crash before this line restores the older states,
    // and the transition is sent again after the restart.
    persist_if_changed();
    if (!alerts.empty() && hooks_.on_firing_changed) hooks_.on_firing_changed();
}

void AlertMonitor::persist_if_changed() {
    if (engine_.revision() == saved_revision_ || !hooks_.save) return;
    if (auto saved = hooks_.save(encode_states(engine_.states())); !saved) {
        // Kept in memory; the next change tries again. After a restart the
        // last saved states apply (an alert may be announced again).
        log::error(kLog, "cannot save the alert states: {}", saved.error().message());
        return;
    }
    saved_revision_ = engine_.revision();
}

std::vector<FiringAlert> AlertMonitor::firing() const {
    std::vector<FiringAlert> out;
    for (const auto& state : engine_.states()) {
        if (state.phase != Phase::firing) continue;
        out.push_back(FiringAlert{.alert_id = alert_id(state.rule, state.subject),
                                  .rule = state.rule,
                                  .subject = state.subject,
                                  .severity = state.severity,
                                  .value = state.value,
                                  .threshold = state.threshold,
                                  .since = protocol::format_rfc3339(state.since)});
    }
    return out;
}

std::optional<std::string> AlertMonitor::critical_reason() const {
    std::string reason;
    for (const auto& alert : firing()) {
        if (alert.severity != protocol::outbound::Severity::critical) continue;
        if (!reason.empty()) reason += "; ";
        reason += fmt::format("critical alert {} firing{} (value {}, threshold {})", alert.rule,
                              alert.subject.empty() ? "" : " for " + alert.subject,
                              format_number(alert.value), format_number(alert.threshold));
    }
    if (reason.empty()) return std::nullopt;
    return reason;
}

}  // namespace outpost::alerts
