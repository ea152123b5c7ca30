#pragma once
// The telemetry pipeline (protocol.md §3.2, §3.4; docs/telemetry.md,
// "Pipeline"): the driver that puts the pure parts together on the loop.
//
// - Every sample_interval() (TickPolicy) a sample job goes to the
//   CollectionThread, which runs the collectors (run_collectors); the
//   finished sample comes back to the loop, which numbers it (`seq`, from
//   the journal's `telemetry.seq` counter, so it grows across restarts),
//   fills what only the loop knows (outbox depth, bytes and running drop
//   total, journal size, commands running, version, uptime), hands the
//   whole sample to on_sample, splits it (split_sample) and posts each part
//   to the outbox.
// - Every health.interval, and on each health_check, a health job reads
//   disk and memory on a thread of its own, so that a stuck sample (a
//   collector past its deadline) never holds health back. Readings not back
//   within health_reading_limit are replaced by the last known ones, and
//   the report goes out anyway, `agent` warn "… busy since …". The loop
//   adds the journal's quick_check (bounded by quick_check_limit, and run
//   at most once per health.interval for health_check answers: the
//   journal's file is held exclusively by its own connection, so nothing
//   else can read it), its own lag measurement (LagMeter, fed by a probe
//   timer) and the latest sample's containers, calls on_health and posts
//   or answers it. Requests that arrive while a reading is in flight share
//   it; a periodic one is never queued twice.
// Nothing else here blocks the loop: its other I/O is the journal's own
// small reads and writes (seq, outbox counts), as every other part does.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/protocol/telemetry.hpp"
#include "agent/telemetry/collection_thread.hpp"
#include "agent/telemetry/health_grades.hpp"
#include "agent/telemetry/lag_meter.hpp"
#include "agent/telemetry/run_collectors.hpp"
#include "agent/telemetry/sample_split.hpp"
#include "agent/telemetry/tick_policy.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::telemetry {

// One collector as `outpost status` shows it.
struct CollectorStatus {
    std::string name{};
    bool enabled = true;
    std::optional<std::chrono::system_clock::time_point> last_sample{};  // last run that worked
    std::string last_error{};  // of the last run; empty when it worked
    bool skipped = false;      // the last run found no source
    std::string note{};        // the last run worked, partly (Collected::note)
};

struct PipelineStatus {
    bool running = false;  // the collection thread is up
    std::chrono::milliseconds interval{};
    std::optional<std::uint64_t> last_seq;
    std::optional<std::chrono::system_clock::time_point> last_sample_at;
    std::uint64_t samples = 0;
    std::uint64_t skipped_ticks = 0;
    // Samples whose first part could not fit the message limit even trimmed
    // (a tiny protocol.max_message_bytes): not sent, counted here and logged.
    std::uint64_t unsendable_samples = 0;
    LagSummary lag;
    std::vector<CollectorStatus> collectors;
};

class TelemetryPipeline {
  public:
    struct Settings {
        std::string node_id{};
        std::string version{};
        std::chrono::system_clock::time_point started_at{};
        std::chrono::milliseconds interval{60'000};          // telemetry.interval in force
        std::chrono::milliseconds health_interval{300'000};  // health.interval in force
        SplitLimits split{};
        std::string state_dir{};     // the disk check's file system
        std::string journal_path{};  // for agent.journal_bytes; empty: none
        std::string proc_root = "/proc";
        // The database check's bound: it runs on the loop (the journal
        // holds its file exclusively), so it is kept short; a journal too
        // large to check in time is graded `warn`, not `fail`.
        std::chrono::milliseconds quick_check_limit{50};
        // A sample's collectors must be done by this much after it starts
        // (or by the next tick, when the interval is shorter).
        std::chrono::milliseconds collect_budget{10'000};
        // The disk and memory readings of a health report must be back by
        // then; past it the report goes out with what is known.
        std::chrono::milliseconds health_reading_limit{2'000};
        // Names of collectors configured off, listed in status as disabled.
        std::vector<std::string> disabled{};
    };
    // What the pipeline needs from the rest of the agent; all on the loop.
    struct Hooks {
        // Keeps a telemetry or health message in the outbox (OutboxSender::post).
        std::function<void(protocol::outbound::Body)> post;
        // Sends a health_check's answer now; false: not sent (then posted).
        std::function<bool(protocol::outbound::Body)> send;
        std::function<std::uint64_t()> commands_running;
        std::function<std::string()> journal_problem;  // empty: usable
    };

    // `journal` may be null (then seq counts from 1 in memory and the outbox
    // fields stay zero). The loop and the journal outlive the pipeline. A
    // collection thread that cannot start is logged; there is then no
    // telemetry and health reports only what the loop knows.
    TelemetryPipeline(transport::EventLoop& loop, journal::Journal* journal, Settings settings,
                      Hooks hooks, CollectorSet collectors);
    ~TelemetryPipeline();
    TelemetryPipeline(const TelemetryPipeline&) = delete;
    TelemetryPipeline& operator=(const TelemetryPipeline&) = delete;

    // Called on the loop with each complete sample, before splitting (T4's
    // alert engine), and with each health report (T4's degraded status).
    std::function<void(const protocol::outbound::Telemetry&)> on_sample;
    std::function<void(const protocol::outbound::Health&)> on_health;

    // Starts the sample, health and lag timers.
    void start();
    // Stops every timer (graceful stop); the thread goes with the object.
    void stop();

    // A changed telemetry.interval (config_update) or welcome.telemetry_s
    // (nullopt: the server set none); the schedule restarts from now.
    void set_configured_interval(std::chrono::milliseconds interval);
    void set_server_interval(std::optional<std::uint32_t> seconds);
    void set_health_interval(std::chrono::milliseconds interval);

    // health_check{request_id}: answered once the off-loop readings are in.
    void health_check(std::string request_id);

    [[nodiscard]] PipelineStatus status() const;
    [[nodiscard]] const LagMeter& lag() const { return lag_; }

  private:
    void arm_sample_timer();
    void on_sample_tick();
    void start_sample();
    void finish_sample(CollectedSample collected, std::chrono::system_clock::time_point at);
    void fill_loop_fields(protocol::outbound::Telemetry& sample);
    [[nodiscard]] std::uint64_t next_seq();
    void publish(protocol::outbound::Telemetry sample);
    void arm_health_timer();
    void request_health(std::optional<std::string> ref);
    void on_health_reading(std::shared_ptr<HealthReadings> readings);
    // `overdue`: the reading in flight is past health_reading_limit (else
    // too many requests wait for it).
    void answer_health_with_known(bool overdue);
    void finish_health(std::shared_ptr<HealthReadings> readings, bool overdue);
    // The age of the verdict when it was reused; nullopt when checked now.
    [[nodiscard]] std::optional<std::chrono::seconds> check_database(HealthReadings& readings,
                                                                     bool periodic);
    void report_busy(protocol::outbound::Health& health, bool overdue) const;
    [[nodiscard]] LoopFacts loop_facts() const;
    void arm_lag_probe();
    void reschedule_samples();

    transport::EventLoop& loop_;
    journal::Journal* journal_;
    Settings settings_;
    Hooks hooks_;
    std::shared_ptr<CollectorSet> collectors_;  // shared with the thread's jobs
    std::optional<std::uint32_t> server_interval_s_;
    TickPolicy ticks_;
    LagMeter lag_;
    std::vector<CollectorStatus> collector_status_;
    std::optional<std::uint64_t> last_seq_;
    std::optional<std::chrono::system_clock::time_point> last_sample_at_;
    std::uint64_t samples_ = 0;
    std::uint64_t unsendable_samples_ = 0;
    bool sample_in_flight_ = false;
    Clock::time_point sample_deadline_{};                     // of the sample in flight
    std::chrono::system_clock::time_point sample_started_{};  // for "busy since"
    // A health reading job submitted and not yet back; it may be overdue
    // (then the requests were answered with what was known).
    bool health_in_flight_ = false;
    std::chrono::system_clock::time_point health_reading_since_{};
    std::vector<std::optional<std::string>> health_waiting_;  // refs; nullopt: periodic
    std::shared_ptr<HealthReadings> last_readings_;           // the last that came back
    // The database verdict and when it was reached (quick_check runs at
    // most once per health.interval for health_check answers).
    std::optional<Expected<journal::QuickCheck>> database_verdict_;
    Clock::time_point database_checked_at_{};
    // The containers collector's outcome in the latest sample (its state,
    // why it failed or was skipped) and the containers it listed; none: no
    // containers collector ran.
    struct ContainersOutcome {
        CollectorOutcome::State state = CollectorOutcome::State::ok;
        std::string message;
        std::vector<protocol::outbound::ContainerStats> containers;
    };
    std::optional<ContainersOutcome> latest_containers_;
    std::unique_ptr<CollectionThread> thread_;
    std::unique_ptr<transport::FdWatch> answers_;
    std::unique_ptr<CollectionThread> health_thread_;  // disk and memory readings
    std::unique_ptr<transport::FdWatch> health_answers_;
    transport::Timer health_deadline_;
    transport::Timer sample_timer_;
    transport::Timer health_timer_;
    transport::Timer lag_probe_;
    Clock::time_point lag_probe_due_{};
    bool started_ = false;
};

}  // namespace outpost::telemetry
