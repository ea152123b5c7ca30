#pragma once
// Fills `outpost status`'s report from the parts of the running agent
// (agent/status/report.hpp). Runs on the loop for each status request, so it
// only reads memory and does indexed journal counts.

#include <string>
#include <vector>

#include "agent/alerts/alert_monitor.hpp"
#include "agent/auth/identity.hpp"
#include "agent/config/config.hpp"
#include "agent/dispatch/dispatcher.hpp"
#include "agent/logs/streams/stream_manager.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/runtime/exec_helper.hpp"
#include "agent/runtime/outbox_sender.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/status/report.hpp"
#include "agent/telemetry/telemetry_pipeline.hpp"
#include "executors/sandbox/probe.hpp"

namespace outpost::runtime {

struct StatusSources {
    const config::Config& config;
    const auth::Identity& identity;
    status::TimePoint started_at;
    const SessionDriver& driver;
    dispatch::Dispatcher& dispatcher;
    const protocol::outbound::SandboxReport& sandbox;                   // what hello reports
    const std::map<std::string, std::string, std::less<>>& unrunnable;  // unrunnable_entries()
    const ExecHelper& helper;
    std::string journal_path;
    OutboxSender& outbox;
    std::vector<std::string> warnings;
    const alerts::AlertMonitor* alerts = nullptr;  // null: alerting is not running
    // Null: no telemetry section (tests that build no pipeline).
    const telemetry::TelemetryPipeline* telemetry = nullptr;
    // Null: no config section (tests without a reloader).
    const status::ConfigInfo* config_info = nullptr;
    // Null: no streams section (tests that build no stream manager).
    const logs::streams::StreamManager* streams = nullptr;
};

[[nodiscard]] status::StatusReport collect_status(const StatusSources& sources);

// Allow-list entries whose `requires` names a protection this host lacks:
// name → why. Such an entry is refused at every run (docs/allow-list.md).
[[nodiscard]] std::map<std::string, std::string, std::less<>> unrunnable_entries(
    const config::ExecutorConfig& executor, const executors::Capabilities& caps);

}  // namespace outpost::runtime
