#pragma once
// The config in force: the file's values with the runtime changes that
// config_update made (docs/configuration.md, "Runtime changes") over them.
// effective() holds the runtime keys in force (telemetry.interval,
// health.interval, logging.level, alerts); every other key is the file's, so the rest
// of the agent keeps reading the file's Config. effective() is replaced on
// each accepted config_update and each config reload (SIGHUP,
// config_reload.hpp): read it at use, keep no references into it (a
// reference to effective() itself stays valid: it is assigned in place).

#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "agent/config/runtime_overrides.hpp"
#include "agent/runtime/agent_journal.hpp"

namespace outpost::runtime {

// logging.level and logging.format, applied to the process's log.
void configure_logging(const config::LoggingConfig& logging);

class RuntimeConfig {
  public:
    // Applies what earlier config_updates persisted in `journal`. A blob
    // that cannot be read or no longer validates is logged and ignored: it
    // never stops the agent, and the next accepted update replaces it.
    // `journal` must outlive this object; `file` is copied (a reload
    // replaces it).
    RuntimeConfig(const config::Config& file, AgentJournal& journal);
    RuntimeConfig(const RuntimeConfig&) = delete;
    RuntimeConfig& operator=(const RuntimeConfig&) = delete;

    [[nodiscard]] const config::Config& effective() const { return effective_; }
    // The file's values in force (a reload replaces the reloadable ones).
    [[nodiscard]] const config::Config& file() const { return file_; }

    // A reloaded file's values (config_reload.cpp: only the reloadable keys
    // differ from file()); config_update's changes stay over them, and the
    // change callbacks below run as for an accepted update.
    void replace_file(config::Config file);

    // config_update (the dispatcher's ConfigUpdateHandler): validate, persist
    // the merged set, then apply. Without a journal nothing can be
    // persisted, so the update is refused.
    [[nodiscard]] Expected<void> accept(std::string_view request_id, std::string_view config_json);

    // Called when an accepted update changed health.interval; empty: nobody.
    void on_health_interval_changed(std::function<void()> callback) {
        on_health_interval_changed_ = std::move(callback);
    }

    // Called when an accepted update changed the alert rules; empty: nobody.
    void on_alerts_changed(std::function<void()> callback) {
        on_alerts_changed_ = std::move(callback);
    }

    // Called when an accepted update changed telemetry.interval; empty: nobody.
    void on_telemetry_interval_changed(std::function<void()> callback) {
        on_telemetry_interval_changed_ = std::move(callback);
    }

  private:
    // effective() again from file_ and overrides_; runs the callbacks of
    // what changed.
    void recompute();

    config::Config file_;
    AgentJournal& journal_;
    config::RuntimeOverrides overrides_;
    config::Config effective_;
    std::function<void()> on_health_interval_changed_;
    std::function<void()> on_alerts_changed_;
    std::function<void()> on_telemetry_interval_changed_;
};

}  // namespace outpost::runtime
