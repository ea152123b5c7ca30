#pragma once
// SIGHUP: the config file read again with the loader `outpost run` starts
// with, and applied all at once or not at all (docs/configuration.md,
// "Reloading").
//
// - An invalid file (syntax, schema, or an allow-list entry that does not
//   build) changes nothing: the old config stays in force, and why is logged
//   and shown in `outpost status` (its `config` section).
// - A valid file puts its reloadable keys in force at once, without a
//   reconnect: the allow-list (executor.commands with each entry's limits),
//   telemetry.interval, health.interval, logging, alerts and logs. Running
//   commands keep the entry they were approved with.
// - Every other key (server, auth, security, reconnect, collectors, outbox,
//   journal, protocol, node, status, executor's global limits) takes effect
//   at the next restart only: its value in force stays the start-up one, and
//   the keys whose file value differs are logged and listed in status as
//   `restart_needed`. A reconnect to apply server/auth/security was not
//   chosen: a wrong URL or key would take a working node offline at a
//   signal, where a restart is a deliberate step systemd reports on.
// - config_update's runtime changes stay over the file's values, as at start.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agent/config/config.hpp"
#include "agent/runtime/allow_list_policy.hpp"
#include "agent/runtime/runtime_config.hpp"
#include "agent/status/report.hpp"

namespace outpost::runtime {

// What a loaded file changes against the values in force.
struct ReloadPlan {
    config::Config next;                      // in force, with every reloadable key of the file
    std::vector<std::string> changed;         // reloadable keys whose value changes now
    std::vector<std::string> restart_needed;  // other keys whose file value differs
};

[[nodiscard]] ReloadPlan plan_reload(const config::Config& in_force, const config::Config& loaded);

class ConfigReloader {
  public:
    // Told the config in force (effective(): the file's with config_update's
    // changes over it) after each reload that applied.
    using Observer = std::function<void(const config::Config&)>;

    struct Parts {
        RuntimeConfig& runtime;
        ReloadableAllowList& allow_list;
    };

    // `path` is the file `outpost run` loaded at `loaded_at`.
    ConfigReloader(std::string path, std::chrono::system_clock::time_point loaded_at, Parts parts);

    // Reads, validates and applies the file (SIGHUP); never throws, never
    // stops the agent.
    void reload();

    // Observers run in the order added, after the config is in force (e.g.
    // the log streams' apply_config(config.logs), the unrunnable entries).
    void add_observer(Observer observer) { observers_.push_back(std::move(observer)); }

    // Optional hooks around an applied reload (a service manager's
    // RELOADING=1 and READY=1).
    void around_reload(std::function<void()> before, std::function<void()> after) {
        before_ = std::move(before);
        after_ = std::move(after);
    }

    // For `outpost status`.
    [[nodiscard]] const status::ConfigInfo& info() const { return info_; }

  private:
    void refuse(std::string why);

    Parts parts_;
    status::ConfigInfo info_;
    std::vector<Observer> observers_;
    std::function<void()> before_;
    std::function<void()> after_;
};

}  // namespace outpost::runtime
