#pragma once
// `outpost run` as an object: the agent's working parts as members, in the
// order they are built (and the reverse of the order they go), each wired to
// the others in one place, agent.cpp's constructor.
//
// Where the coming features plug in:
// - A new producer of messages for the control plane (telemetry collectors,
//   log streams) posts them to `outbox_`, which keeps them while offline and
//   sends them at its flush rate once online; it gets a member after
//   `outbox_` and, when periodic, a Timer scheduled in the constructor like
//   the telemetry pipeline's (the interval read from runtime_.effective()).
// - A new reader of the agent's state (Prometheus metrics) is a member next
//   to `status_server_`, reading the same parts as StatusSources does.
// - The second transport (the HTTPS polling fallback, protocol.md §7) is
//   SessionParts::make_poll_connection behind the `driver_`
//   (session_parts.hpp): the dispatcher and the outbox did not change.
//
// What the agent stands on (the identity, the loop, the journal, the config
// in force) is made before it by run_agent() (run.cpp) and outlives it, so
// what the journal still holds is written after every part that could add to
// it is gone.

#include <chrono>
#include <memory>

#include "agent/alerts/alert_monitor.hpp"
#include "agent/auth/identity.hpp"
#include "agent/config/config.hpp"
#include "agent/dispatch/command_policy.hpp"
#include "agent/dispatch/dispatcher.hpp"
#include "agent/runtime/agent_journal.hpp"
#include "agent/runtime/host_facts.hpp"
#include "agent/runtime/journal_sync.hpp"
#include "agent/runtime/outbox_sender.hpp"
#include "agent/runtime/runtime_config.hpp"
#include "agent/runtime/session_driver.hpp"
#include "agent/runtime/status_source.hpp"
#include "agent/status/status_server.hpp"
#include "agent/telemetry/telemetry_pipeline.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"
#include "executors/runner/runner.hpp"

namespace outpost::runtime {

// What the Agent stands on; every reference must outlive it.
struct AgentBase {
    const config::Config& config;  // the file's values
    std::chrono::system_clock::time_point started_at;
    const auth::Identity& identity;
    transport::EventLoop& loop;
    AgentJournal& journal;
    RuntimeConfig& runtime;  // the file's values with config_update's changes
};

class Agent {
  public:
    // Probes the host, builds and wires every part, recovers the journal's
    // commands; nothing connects before run().
    Agent(AgentBase base, dispatch::CommandPolicy policy);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Connects and serves until SIGTERM/SIGINT, then stops gracefully
    // (status{offline}, close 1001), boundedly.
    void run();

  private:
    [[nodiscard]] SessionDriver::Hooks session_hooks();
    [[nodiscard]] alerts::AlertMonitor::Hooks alert_hooks();
    void start_status_server();
    void arm_approval_expiry();
    [[nodiscard]] telemetry::TelemetryPipeline::Settings telemetry_settings() const;
    // From the telemetry pipeline (telemetry_.on_sample, on_health): each
    // complete sample goes to the alert rules, each health report decides
    // with the alerts and the journal whether the node is degraded.
    void on_sample(const protocol::outbound::Telemetry& sample);
    void on_health(const protocol::outbound::Health& health);
    [[nodiscard]] std::optional<std::string> degraded_reason() const;
    void maintain();
    void on_signal(int signal);
    void stop();

    const config::Config& config_;
    const std::chrono::system_clock::time_point started_at_;
    const auth::Identity& identity_;
    transport::EventLoop& loop_;
    AgentJournal& journal_;
    RuntimeConfig& runtime_;

    HostFacts host_;
    executors::Runner runner_;
    SessionDriver driver_;
    // Before the dispatcher: it outlives its close_batch().
    const OffLoopSync off_loop_sync_;
    dispatch::Dispatcher dispatcher_;
    transport::Timer group_commit_;
    // Health goes through the outbox (§3.4): kept first, sent after the
    // results once a welcome arrives, deleted once a pong confirms it.
    OutboxSender outbox_;
    // Alert rules over each sample; `alert` messages go through the outbox.
    alerts::AlertMonitor alerts_;
    std::optional<std::string> failing_health_;  // of the last health report
    // Samples and health reports (docs/telemetry.md, "Pipeline"), posted to
    // outbox_; its collection thread goes before the outbox does.
    telemetry::TelemetryPipeline telemetry_;
    StatusSources status_sources_;
    std::unique_ptr<status::StatusServer> status_server_;
    transport::Timer approval_expiry_;
    transport::Timer maintenance_;
    bool stopping_ = false;
};

}  // namespace outpost::runtime
