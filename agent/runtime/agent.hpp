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
#include "agent/logs/streams/stream_manager.hpp"
#include "agent/metrics/http_endpoint.hpp"
#include "agent/metrics/instruments.hpp"
#include "agent/metrics/render_cache.hpp"
#include "agent/metrics/textfile.hpp"
#include "agent/runtime/agent_journal.hpp"
#include "agent/runtime/allow_list_policy.hpp"
#include "agent/runtime/config_reload.hpp"
#include "agent/runtime/host_facts.hpp"
#include "agent/runtime/journal_sync.hpp"
#include "agent/runtime/outbox_sender.hpp"
#include "agent/runtime/runtime_config.hpp"
#include "agent/runtime/service_notifier.hpp"
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
    RuntimeConfig& runtime;   // the file's values with config_update's changes
    std::string config_path;  // the file `config` came from; SIGHUP reads it again
};

class Agent {
  public:
    // Probes the host, builds and wires every part, recovers the journal's
    // commands; nothing connects before run().
    Agent(AgentBase base, ReloadableAllowList::Built allow_list);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Connects and serves until SIGTERM/SIGINT, then stops gracefully
    // (status{offline}, close 1001), boundedly.
    void run();

    // Told the config in force after each SIGHUP reload that applied
    // (config_reload.hpp), e.g. the log streams' apply_config(config.logs).
    void add_reload_observer(ConfigReloader::Observer observer) {
        reloader_.add_observer(std::move(observer));
    }
    // Around each reload that applies: for systemd's RELOADING=1 / READY=1
    // (a ServiceNotifier's reloading() and ready()).
    void around_reload(std::function<void()> before, std::function<void()> after) {
        reloader_.around_reload(std::move(before), std::move(after));
    }

  private:
    [[nodiscard]] SessionDriver::Hooks session_hooks();
    [[nodiscard]] alerts::AlertMonitor::Hooks alert_hooks();
    void start_status_server();
    void start_metrics();
    // The Prometheus text (docs/metrics.md) of the agent's state now.
    [[nodiscard]] std::string render_metrics();
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
    // After a reload: the entries this host cannot run, for status and log.
    void on_reloaded(const config::Config& in_force);
    void stop();

    const config::Config& config_;
    const std::chrono::system_clock::time_point started_at_;
    const auth::Identity& identity_;
    transport::EventLoop& loop_;
    AgentJournal& journal_;
    RuntimeConfig& runtime_;

    // systemd's Type=notify: READY, STATUS, WATCHDOG, STOPPING.
    ServiceNotifier notifier_;
    // What only the metrics count (reconnects by reason, command outcomes,
    // journal sync times); bumped by the hooks below, read by render_metrics.
    metrics::Instruments instruments_;
    HostFacts host_;
    executors::Runner runner_;
    // Before the dispatcher, which checks every request against it.
    ReloadableAllowList allow_list_;
    SessionDriver driver_;
    // Log streams (docs/log-streaming.md): live only, straight to driver_.
    logs::streams::StreamManager streams_;
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
    ConfigReloader reloader_;
    StatusSources status_sources_;
    // `outpost metrics` and GET /metrics share one render per second, so a
    // local client in a loop cannot make the loop render per request.
    metrics::RenderCache shared_metrics_{[this] { return render_metrics(); }};
    std::unique_ptr<status::StatusServer> status_server_;
    // metrics.textfile, when set: rendered on the loop, written off it.
    std::unique_ptr<metrics::TextfilePublisher> textfile_;
    // metrics.listen, when set: GET /metrics on a loopback address.
    std::unique_ptr<metrics::HttpEndpoint> http_metrics_;
    transport::Timer approval_expiry_;
    transport::Timer maintenance_;
    bool stopping_ = false;
};

}  // namespace outpost::runtime
