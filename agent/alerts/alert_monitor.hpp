#pragma once
// The alert engine's driver (the engine is pure; this is its I/O): it feeds
// each complete sample to the engine, hands the `alert` messages to `send`
// (the outbox, protocol.md §3.4), persists the states through `save` when
// they changed, and tells `on_firing_changed` when the set of firing alerts
// changed (the node's status, `outpost status`). Everything runs on the
// service loop.
//
// Better twice than never (docs/alerts.md): the states are saved only after
// every message of the change was handed on. A message `send` could not
// keep undoes the change (the engine's states go back to before it), so the
// next sample makes it again and sends it then; a crash between the send
// and the save restores the older states, and the transition is sent again
// after the restart.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/alerts/alert_engine.hpp"
#include "agent/config/config.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::alerts {

// A firing alert as `outpost status` lists it.
struct FiringAlert {
    std::string alert_id;
    std::string rule;
    std::string subject;
    protocol::outbound::Severity severity = protocol::outbound::Severity::warning;
    double value = 0;
    double threshold = 0;
    std::string since;  // RFC 3339
    bool operator==(const FiringAlert&) const = default;
};

class AlertMonitor {
  public:
    struct Hooks {
        // The persisted states (nullopt: none yet); an error is logged and
        // the monitor starts from nothing.
        std::function<Expected<std::optional<std::string>>()> load;
        std::function<Expected<void>(std::string_view)> save;
        // True when the message was kept (the outbox) or sent; false: lost.
        std::function<bool(protocol::outbound::Alert)> send;
        std::function<void()> on_firing_changed;  // may be empty
    };

    // Restores the persisted states (resolving those of rules that changed
    // or are gone while the agent was down).
    AlertMonitor(const std::vector<config::AlertRule>& rules, Hooks hooks,
                 EngineOptions options = {});

    // One complete sample, read at `now`.
    void on_sample(const protocol::outbound::Telemetry& sample, TimePoint now);

    // The rules in force changed (config_update `alerts`).
    void set_rules(const std::vector<config::AlertRule>& rules);

    [[nodiscard]] std::vector<FiringAlert> firing() const;

    // "critical alert cpu_high firing (system.cpu.usage_percent is 97.5)"
    // while one or more critical alerts fire (joined by "; "), else nullopt.
    [[nodiscard]] std::optional<std::string> critical_reason() const;

  private:
    // `before`: the engine's states before the change that made `alerts`.
    void deliver(AlertEngine::Alerts alerts, std::vector<SubjectState> before);
    void persist_if_changed();

    Hooks hooks_;
    AlertEngine engine_;
    std::uint64_t saved_revision_ = 0;
};

}  // namespace outpost::alerts
