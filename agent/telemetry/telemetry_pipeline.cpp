#include "agent/telemetry/telemetry_pipeline.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "agent/log/log.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "collectors/containers/container_health.hpp"

namespace outpost::telemetry {
namespace {

using protocol::outbound::Telemetry;

constexpr std::string_view kLog = "telemetry";
// The lag probe: often enough for a p99 over a health interval to mean
// something, rarely enough to cost nothing at idle (4 wakeups a second).
constexpr std::chrono::milliseconds kLagProbeEvery{250};

// Past its deadline by this much, a sample job counts as stuck (a
// collector that broke its promise, e.g. an NSS lookup with no deadline),
// and health says the collection thread is busy.
constexpr std::chrono::seconds kStuckAfter{1};
// Health requests waiting for one reading; past this many (a server
// sending health_check in a loop) they are answered with what is known.
constexpr std::size_t kMaxHealthWaiting = 64;

// A collection thread whose answers the loop watches; null (logged) when
// it cannot start.
std::unique_ptr<CollectionThread> start_thread(transport::EventLoop& loop, std::string_view what,
                                               std::unique_ptr<transport::FdWatch>& watch_out) {
    auto thread = CollectionThread::start();
    if (!thread) {
        log::error(kLog, "no {}: {}", what, thread.error().message());
        return nullptr;
    }
    CollectionThread* raw = thread->get();
    auto watch = transport::FdWatch::create(loop, raw->ready_fd(), [raw] { raw->deliver(); });
    if (!watch) {
        log::error(kLog, "no {}: cannot watch its thread: {}", what, watch.error().message());
        return nullptr;
    }
    watch_out = std::move(*watch);
    return std::move(*thread);
}

std::uint64_t file_size_or_zero(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

}  // namespace

TelemetryPipeline::TelemetryPipeline(transport::EventLoop& loop, journal::Journal* journal,
                                     Settings settings, Hooks hooks, CollectorSet collectors)
    : loop_(loop),
      journal_(journal),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)),
      collectors_(std::make_shared<CollectorSet>(std::move(collectors))),
      ticks_(sample_interval(settings_.interval, std::nullopt)),
      health_deadline_(loop),
      sample_timer_(loop),
      health_timer_(loop),
      lag_probe_(loop) {
    for (const auto& collector : *collectors_) {
        collector_status_.emplace_back().name = std::string(collector->name());
    }
    // A read, which works even when the journal refuses writes (a full
    // disk): without it, a journal failing from the start would number the
    // samples 1, 2, 3… again, values used long ago (protocol.md §3.2).
    if (journal_ != nullptr) {
        if (auto seq = journal_->telemetry_seq(); seq) {
            if (*seq > 0) last_seq_ = *seq;
        } else {
            log::warn(kLog, "cannot read telemetry.seq from the journal: {}",
                      seq.error().message());
        }
    }
    for (const std::string& name : settings_.disabled) {
        CollectorStatus& status = collector_status_.emplace_back();
        status.name = name;
        status.enabled = false;
    }
    thread_ = start_thread(loop_, "telemetry", answers_);
    health_thread_ = start_thread(loop_, "disk and memory health readings", health_answers_);
}

TelemetryPipeline::~TelemetryPipeline() = default;

void TelemetryPipeline::start() {
    started_ = true;
    reschedule_samples();
    arm_health_timer();
    lag_probe_due_ = Clock::now() + kLagProbeEvery;
    arm_lag_probe();
}

void TelemetryPipeline::stop() {
    started_ = false;
    sample_timer_.cancel();
    health_timer_.cancel();
    lag_probe_.cancel();
}

// ---- samples ----

void TelemetryPipeline::reschedule_samples() {
    const auto interval = sample_interval(settings_.interval, server_interval_s_);
    ticks_.reset(interval, Clock::now());
    if (started_) arm_sample_timer();
}

void TelemetryPipeline::set_configured_interval(std::chrono::milliseconds interval) {
    settings_.interval = interval;
    reschedule_samples();
}

void TelemetryPipeline::set_server_interval(std::optional<std::uint32_t> seconds) {
    if (seconds == server_interval_s_) return;  // every welcome says it again
    server_interval_s_ = seconds;
    log::info(kLog, "sampling every {} ms ({})",
              sample_interval(settings_.interval, seconds).count(),
              seconds ? "welcome.telemetry_s" : "telemetry.interval");
    reschedule_samples();
}

void TelemetryPipeline::arm_sample_timer() {
    if (!thread_) return;
    const auto delay = std::max(
        std::chrono::duration_cast<std::chrono::microseconds>(ticks_.next_due() - Clock::now()),
        std::chrono::microseconds(0));
    sample_timer_.schedule(delay, [this] { on_sample_tick(); });
}

void TelemetryPipeline::on_sample_tick() {
    const std::uint64_t skipped_before = ticks_.skipped();
    const bool start = ticks_.on_tick(Clock::now(), sample_in_flight_);
    if (const auto skipped = ticks_.skipped() - skipped_before; skipped > 0) {
        log::warn(
            kLog, "{} sample tick(s) skipped: {}", skipped,
            start ? "the loop missed their time" : "the previous sample is still being collected");
    }
    if (start) start_sample();
    arm_sample_timer();
}

void TelemetryPipeline::start_sample() {
    sample_in_flight_ = true;
    const auto at = std::chrono::system_clock::now();
    const auto now = Clock::now();
    const auto budget = std::min(settings_.collect_budget, ticks_.interval());
    const collectors::CollectRequest request{.now = now, .deadline = now + budget};
    sample_deadline_ = request.deadline;
    sample_started_ = at;
    thread_->submit([this, set = collectors_, request, at]() -> CollectionThread::Continuation {
        auto collected = std::make_shared<CollectedSample>(run_collectors(*set, request));
        return [this, collected, at] { finish_sample(std::move(*collected), at); };
    });
}

void TelemetryPipeline::finish_sample(CollectedSample collected,
                                      std::chrono::system_clock::time_point at) {
    sample_in_flight_ = false;
    for (const CollectorOutcome& outcome : collected.outcomes) {
        auto status = std::find_if(collector_status_.begin(), collector_status_.end(),
                                   [&](const auto& s) { return s.name == outcome.name; });
        if (status == collector_status_.end()) continue;
        status->skipped = outcome.state == CollectorOutcome::State::skipped;
        status->last_error =
            outcome.state == CollectorOutcome::State::failed ? outcome.message : std::string{};
        status->note = outcome.note;
        if (outcome.state == CollectorOutcome::State::ok) status->last_sample = at;
    }
    latest_containers_.reset();
    const auto containers =
        std::find_if(collected.outcomes.begin(), collected.outcomes.end(),
                     [](const CollectorOutcome& o) { return o.name == "containers"; });
    if (containers != collected.outcomes.end()) {
        latest_containers_ = ContainersOutcome{.state = containers->state,
                                               .message = containers->message,
                                               .containers = collected.sample.containers};
    }

    Telemetry sample = std::move(collected.sample);
    sample.node_id = settings_.node_id;
    sample.seq = next_seq();
    sample.collected_at = protocol::format_rfc3339(at);
    fill_loop_fields(sample);
    last_seq_ = sample.seq;
    last_sample_at_ = at;
    ++samples_;
    if (on_sample) on_sample(sample);
    publish(std::move(sample));
}

std::uint64_t TelemetryPipeline::next_seq() {
    const std::uint64_t next_in_memory = last_seq_.value_or(0) + 1;
    if (journal_ != nullptr) {
        // The journal's counter did not move while its writes failed, but
        // the samples of that time were sent: it catches up to the memory's
        // count in the same statement, so no seq is ever used twice.
        auto seq = journal_->next_telemetry_seq(next_in_memory);
        if (seq) return std::max(*seq, next_in_memory);
        // Still sent, numbered on from the last seq (read from the journal
        // at start); the journal's trouble shows in health and status.
        log::warn(kLog, "cannot advance telemetry.seq in the journal: {}", seq.error().message());
    }
    return next_in_memory;
}

void TelemetryPipeline::fill_loop_fields(Telemetry& sample) {
    auto& agent = sample.agent;
    agent.version = settings_.version;
    agent.uptime_s = static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() -
                                                            settings_.started_at)
               .count()));
    if (hooks_.commands_running) agent.commands_running = hooks_.commands_running();
    if (!settings_.journal_path.empty()) {
        const std::filesystem::path path(settings_.journal_path);
        agent.journal_bytes = file_size_or_zero(path) + file_size_or_zero(path.native() + "-wal");
    }
    if (journal_ == nullptr) return;
    // Each read is a small indexed query on the loop's own connection; a
    // failure leaves the field as it is and is logged by the outbox.
    if (auto n = journal_->size(); n) agent.outbox.messages = *n;
    if (auto bytes = journal_->bytes(); bytes) agent.outbox.bytes = *bytes;
    if (auto dropped = journal_->dropped_count(); dropped) {
        agent.outbox.dropped = dropped->total();
    } else {
        log::warn(kLog, "cannot read the outbox's drop count: {}", dropped.error().message());
    }
}

void TelemetryPipeline::publish(Telemetry sample) {
    const std::uint64_t seq = sample.seq;
    SplitSample split = split_sample(std::move(sample), settings_.split);
    if (split.capped > 0) {
        log::warn(kLog, "sample {}: {} list item(s) over the caps left out", seq, split.capped);
    }
    if (split.unsendable > 0) {
        log::warn(kLog, "sample {}: {} item(s) too large for protocol.max_message_bytes left out",
                  seq, split.unsendable);
    }
    if (split.trimmed > 0) {
        log::warn(kLog,
                  "sample {}: {} per-core, top-list or message value(s) cut for part 1 to fit "
                  "protocol.max_message_bytes",
                  seq, split.trimmed);
    }
    if (split.dropped) {
        // Counted where status shows it; the outbox never saw it, so it is
        // not in agent.outbox.dropped (docs/protocol-notes.md, "Split telemetry").
        ++unsendable_samples_;
        log::error(kLog,
                   "sample {} not sent: its first part does not fit protocol.max_message_bytes "
                   "({}) even trimmed ({} unsendable so far)",
                   seq, settings_.split.max_message_bytes, unsendable_samples_);
        return;
    }
    if (split.parts.size() > 1) {
        log::info(kLog, "sample {} sent in {} parts", seq, split.parts.size());
    }
    if (!hooks_.post) return;
    for (Telemetry& part : split.parts) hooks_.post(std::move(part));
}

// ---- health ----

void TelemetryPipeline::set_health_interval(std::chrono::milliseconds interval) {
    settings_.health_interval = interval;
    if (started_) arm_health_timer();
}

void TelemetryPipeline::arm_health_timer() {
    health_timer_.schedule(settings_.health_interval, [this] {
        request_health(std::nullopt);
        arm_health_timer();
    });
}

void TelemetryPipeline::health_check(std::string request_id) {
    request_health(std::move(request_id));
}

void TelemetryPipeline::request_health(std::optional<std::string> ref) {
    const bool periodic_waiting = std::any_of(health_waiting_.begin(), health_waiting_.end(),
                                              [](const auto& r) { return !r.has_value(); });
    if (ref || !periodic_waiting) health_waiting_.push_back(std::move(ref));
    if (!health_thread_) {
        auto readings = std::make_shared<HealthReadings>();
        readings->disk_free = fail("no thread to read it on");
        readings->memory_available = fail("no thread to read it on");
        finish_health(std::move(readings), false);
        return;
    }
    if (health_in_flight_) {
        // The reading in flight answers it, unless that reading is already
        // overdue (answered with what is known) or too many wait for it.
        const bool overdue = !health_deadline_.pending();
        if (overdue || health_waiting_.size() > kMaxHealthWaiting) {
            answer_health_with_known(overdue);
        }
        return;
    }
    health_in_flight_ = true;
    health_reading_since_ = std::chrono::system_clock::now();
    health_deadline_.schedule(settings_.health_reading_limit,
                              [this] { answer_health_with_known(true); });
    health_thread_->submit([this, state_dir = settings_.state_dir,
                            proc = settings_.proc_root]() -> CollectionThread::Continuation {
        auto readings = std::make_shared<HealthReadings>();
        readings->disk_free = read_disk_free(state_dir);
        readings->memory_available = read_memory_available(proc);
        return [this, readings] { on_health_reading(readings); };
    });
}

void TelemetryPipeline::on_health_reading(std::shared_ptr<HealthReadings> readings) {
    health_in_flight_ = false;
    health_deadline_.cancel();
    last_readings_ = readings;
    if (!health_waiting_.empty()) finish_health(std::make_shared<HealthReadings>(*readings), false);
}

void TelemetryPipeline::answer_health_with_known(bool overdue) {
    health_deadline_.cancel();
    auto readings = std::make_shared<HealthReadings>();
    const std::string why = "the health reading thread is busy since " +
                            protocol::format_rfc3339(health_reading_since_);
    readings->disk_free = last_readings_ ? last_readings_->disk_free : fail(why);
    readings->memory_available = last_readings_ ? last_readings_->memory_available : fail(why);
    finish_health(std::move(readings), overdue || !last_readings_);
}

LoopFacts TelemetryPipeline::loop_facts() const {
    LoopFacts facts;
    facts.lag = lag_.summary();
    if (hooks_.journal_problem) facts.journal_problem = hooks_.journal_problem();
    using State = CollectorOutcome::State;
    if (!latest_containers_) {
        facts.containers_skipped_why = "no containers collector ran in the latest sample";
    } else if (latest_containers_->state == State::skipped) {
        facts.containers_skipped_why = latest_containers_->message;  // e.g. no socket
    } else if (latest_containers_->state == State::failed) {
        // A socket that hangs or answers nonsense is a problem to report,
        // not an absence: the containers' state is unknown.
        facts.containers = std::pair{protocol::outbound::CheckResult::warn,
                                     "containers collector failed: " + latest_containers_->message};
    } else {
        auto verdict = collectors::classify_containers(latest_containers_->containers);
        facts.containers = std::pair{verdict.result, std::move(verdict.detail)};
    }
    return facts;
}

// On the loop, bounded: the journal holds its file exclusively, so only its
// own connection can check it (agent/journal/quick_check.cpp). A periodic
// report checks afresh; a health_check answer reuses a verdict younger than
// health.interval, so a server asking over and over cannot make the loop
// pay quick_check's up to 50 ms each time.
std::optional<std::chrono::seconds> TelemetryPipeline::check_database(HealthReadings& readings,
                                                                      bool periodic) {
    if (journal_ == nullptr) return std::nullopt;
    const auto now = Clock::now();
    std::optional<std::chrono::seconds> reused;
    if (periodic || !database_verdict_ || now - database_checked_at_ >= settings_.health_interval) {
        database_verdict_ = journal_->quick_check(settings_.quick_check_limit);
        database_checked_at_ = now;
    } else {
        reused = std::chrono::duration_cast<std::chrono::seconds>(now - database_checked_at_);
    }
    readings.database = *database_verdict_;
    return reused;
}

// `agent` warns when a thread that should long have returned has not: the
// sample job past its deadline, or the health readings past theirs.
void TelemetryPipeline::report_busy(protocol::outbound::Health& health, bool overdue) const {
    std::vector<std::string> busy;
    if (sample_in_flight_ && Clock::now() > sample_deadline_ + kStuckAfter) {
        busy.push_back("collection thread busy since " + protocol::format_rfc3339(sample_started_));
    }
    if (overdue) {
        busy.push_back("health reading thread busy since " +
                       protocol::format_rfc3339(health_reading_since_) +
                       (last_readings_ ? "; disk and memory from its last reading" : ""));
    }
    if (busy.empty()) return;
    using protocol::outbound::CheckResult;
    if (health.checks.agent == CheckResult::ok) health.checks.agent = CheckResult::warn;
    for (const std::string& line : busy) health.details["agent"] += "; " + line;
    if (overdue && !last_readings_) {
        health.checks.disk = CheckResult::warn;
        health.checks.memory = CheckResult::warn;
    }
}

void TelemetryPipeline::finish_health(std::shared_ptr<HealthReadings> readings, bool overdue) {
    auto waiting = std::exchange(health_waiting_, {});
    if (waiting.empty()) return;
    const bool periodic = std::any_of(waiting.begin(), waiting.end(),
                                      [](const auto& ref) { return !ref.has_value(); });
    const auto database_age = check_database(*readings, periodic);
    const LoopFacts facts = loop_facts();
    for (auto& ref : waiting) {
        protocol::outbound::Health health = grade_health(ref, *readings, facts);
        if (database_age && facts.journal_problem.empty()) {
            health.details["database"] += fmt::format(
                " (checked {} s ago: at most once per health.interval)", database_age->count());
        }
        report_busy(health, overdue);
        if (on_health) on_health(health);
        if (ref && hooks_.send && hooks_.send(health)) continue;
        if (hooks_.post) hooks_.post(std::move(health));
    }
}

// ---- loop lag ----

void TelemetryPipeline::arm_lag_probe() {
    const auto delay = std::max(
        std::chrono::duration_cast<std::chrono::microseconds>(lag_probe_due_ - Clock::now()),
        std::chrono::microseconds(0));
    lag_probe_.schedule(delay, [this] {
        const auto now = Clock::now();
        lag_.record(std::chrono::duration_cast<std::chrono::microseconds>(now - lag_probe_due_));
        lag_probe_due_ = now + kLagProbeEvery;
        arm_lag_probe();
    });
}

PipelineStatus TelemetryPipeline::status() const {
    return PipelineStatus{.running = thread_ != nullptr,
                          .interval = ticks_.interval(),
                          .last_seq = last_seq_,
                          .last_sample_at = last_sample_at_,
                          .samples = samples_,
                          .skipped_ticks = ticks_.skipped(),
                          .unsendable_samples = unsendable_samples_,
                          .lag = lag_.summary(),
                          .collectors = collector_status_};
}

}  // namespace outpost::telemetry
