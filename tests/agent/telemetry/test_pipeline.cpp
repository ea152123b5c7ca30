// The pipeline on a real loop, a real journal and the real outbox sender:
// seq from the journal (across restarts), the loop's fields, skipped ticks,
// health off the loop, the loop's lag while collecting, and an outage of
// 1 000 samples against a small outbox.

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <fstream>

#include "../journal/fault_vfs.hpp"
#include "agent/journal/journal.hpp"
#include "agent/runtime/outbox_sender.hpp"
#include "agent/telemetry/telemetry_pipeline.hpp"
#include "agent/transport/event_loop.hpp"
#include "test_collectors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using namespace outpost;
using namespace outpost::telemetry_test;
using protocol::outbound::Telemetry;
using telemetry::TelemetryPipeline;
using test_support::TempDir;

std::unique_ptr<transport::EventLoop> make_loop() {
    auto created = transport::EventLoop::create();
    REQUIRE(created);
    return std::move(*created);
}

struct Fixture {
    TempDir dir;
    std::unique_ptr<transport::EventLoop> loop = make_loop();
    std::optional<journal::Journal> db;
    std::vector<Telemetry> posted;
    std::vector<protocol::outbound::Health> health_posted;
    std::vector<protocol::outbound::Health> health_sent;

    explicit Fixture(journal::OutboxLimits limits = {}) { open_journal(limits); }

    void open_journal(journal::OutboxLimits limits = {}) {
        db.reset();
        journal::Options options;
        options.sync = journal::SyncMode::normal;
        options.outbox = limits;
        auto opened = journal::Journal::open(dir.file("journal.db"), options);
        REQUIRE(opened);
        db.emplace(std::move(*opened));
    }

    TelemetryPipeline::Settings settings(std::chrono::milliseconds interval) const {
        return TelemetryPipeline::Settings{
            .node_id = "node-1",
            .version = "9.9.9",
            .started_at = std::chrono::system_clock::now() - 10s,
            .interval = interval,
            .health_interval = 1h,
            .state_dir = dir.path().native(),
            .journal_path = dir.file("journal.db").native(),
        };
    }

    TelemetryPipeline::Hooks hooks() {
        return TelemetryPipeline::Hooks{
            .post =
                [this](protocol::outbound::Body body) {
                    if (auto* t = std::get_if<Telemetry>(&body)) posted.push_back(*t);
                    if (auto* h = std::get_if<protocol::outbound::Health>(&body)) {
                        health_posted.push_back(*h);
                    }
                },
            .send =
                [this](protocol::outbound::Body body) {
                    health_sent.push_back(std::get<protocol::outbound::Health>(body));
                    return true;
                },
            .commands_running = [] { return std::uint64_t{2}; },
            .journal_problem = [] { return std::string{}; }};
    }

    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        return loop->run_until(done, limit);
    }
};

telemetry::CollectorSet working_and_failing() {
    telemetry::CollectorSet set;
    set.push_back(std::make_unique<UptimeCollector>());
    set.push_back(std::make_unique<FailingCollector>());
    return set;
}

}  // namespace

TEST_CASE("pipeline: samples every interval, seq from the journal, the loop's fields filled") {
    Fixture f;
    std::vector<std::uint64_t> seen_by_on_sample;
    {
        TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(20ms), f.hooks(),
                                   working_and_failing());
        pipeline.on_sample = [&](const Telemetry& t) { seen_by_on_sample.push_back(t.seq); };
        pipeline.start();
        REQUIRE(f.run_until([&] { return f.posted.size() >= 3; }));
        pipeline.stop();
        const auto status = pipeline.status();
        CHECK(status.running);
        CHECK(status.last_seq == f.posted.back().seq);
        REQUIRE(status.collectors.size() == 2);
        CHECK(status.collectors[0].name == "uptime");
        CHECK(status.collectors[0].last_sample.has_value());
        CHECK(status.collectors[0].last_error.empty());
        CHECK(status.collectors[1].name == "disks");
        CHECK(status.collectors[1].last_error == "mountinfo unreadable");
        CHECK_FALSE(status.collectors[1].last_sample.has_value());
    }
    REQUIRE(f.posted.size() >= 3);
    for (std::size_t i = 0; i < f.posted.size(); ++i) {
        const Telemetry& t = f.posted[i];
        INFO("sample " << i);
        CHECK(t.seq == i + 1);
        CHECK(t.node_id == "node-1");
        CHECK(t.collected_at.size() == 24);
        CHECK(t.system.uptime_s == i + 1);  // the collector's own count
        REQUIRE(t.collectors.size() == 1);
        CHECK(t.collectors[0].collector == "disks");
        CHECK(t.agent.version == "9.9.9");
        CHECK(t.agent.uptime_s >= 10);
        CHECK(t.agent.commands_running == 2);
        CHECK(t.agent.journal_bytes.value_or(0) > 0);
        CHECK_FALSE(t.part);
    }
    CHECK(seen_by_on_sample.size() == f.posted.size());

    SECTION("seq goes on after a restart") {
        const std::uint64_t last = f.posted.back().seq;
        f.posted.clear();
        f.open_journal();
        TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(20ms), f.hooks(),
                                   working_and_failing());
        pipeline.start();
        REQUIRE(f.run_until([&] { return !f.posted.empty(); }));
        CHECK(f.posted.front().seq == last + 1);
    }
}

// A full disk (a VFS that refuses every write, over the real file): the
// samples sent meanwhile go on from the journal's last seq, and once the
// disk has room the counter catches up, so no seq is ever used twice.
TEST_CASE("pipeline: seq never repeats while the journal refuses writes, nor after it recovers") {
    TempDir dir;
    auto loop = make_loop();
    journal_test::FaultVfs& vfs = journal_test::FaultVfs::install();
    journal::Options options;
    options.sync = journal::SyncMode::normal;
    options.vfs = journal_test::FaultVfs::kName;
    auto opened = journal::Journal::open(dir.file("journal.db"), options);
    REQUIRE(opened);
    for (int i = 0; i < 5; ++i) REQUIRE(opened->next_telemetry_seq());  // samples of long ago

    std::vector<std::uint64_t> seqs;
    TelemetryPipeline::Settings settings;
    settings.node_id = "node-1";
    settings.interval = 20ms;
    TelemetryPipeline::Hooks hooks;
    hooks.post = [&](protocol::outbound::Body body) {
        if (auto* t = std::get_if<Telemetry>(&body)) seqs.push_back(t->seq);
    };
    vfs.disk_full = true;  // full from the start
    TelemetryPipeline pipeline(*loop, &*opened, settings, hooks, working_and_failing());
    pipeline.start();
    const bool full_run = loop->run_until([&] { return seqs.size() >= 3; }, 10s);
    vfs.disk_full = false;
    REQUIRE(full_run);
    const std::size_t while_full = seqs.size();
    REQUIRE(loop->run_until([&] { return seqs.size() >= while_full + 3; }, 10s));
    pipeline.stop();
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        INFO("sample " << i);
        CHECK(seqs[i] == 6 + i);
    }
    CHECK(opened->telemetry_seq().value_or(0) == seqs.back());
}

TEST_CASE("pipeline: a sample still running when the next is due skips that tick") {
    Fixture f;
    telemetry::CollectorSet set;
    set.push_back(std::make_unique<SlowCollector>(130ms, false));
    TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(50ms), f.hooks(), std::move(set));
    pipeline.start();
    REQUIRE(f.run_until([&] { return f.posted.size() >= 4; }));
    pipeline.stop();
    const auto status = pipeline.status();
    // Never queued: each sample takes 130 ms (the collector's deadline is
    // the interval, 50 ms, so it returns at 50 ms), ticks in between skip.
    CHECK(status.skipped_ticks >= 1);
    CHECK(status.samples == f.posted.size());
    for (std::size_t i = 1; i < f.posted.size(); ++i) {
        CHECK(f.posted[i].seq == f.posted[i - 1].seq + 1);
    }
}

TEST_CASE("pipeline: health_check is answered with its ref, the periodic report is posted") {
    Fixture f;
    TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(1h), f.hooks(), {});
    std::vector<protocol::outbound::Health> seen;
    pipeline.on_health = [&](const protocol::outbound::Health& h) { seen.push_back(h); };
    pipeline.start();
    pipeline.health_check("req-1");
    pipeline.health_check("req-2");  // joins the readings in flight
    REQUIRE(f.run_until([&] { return f.health_sent.size() >= 2; }));
    CHECK(f.health_sent[0].ref == "req-1");
    CHECK(f.health_sent[1].ref == "req-2");
    using protocol::outbound::CheckResult;
    CHECK(f.health_sent[0].checks.database == CheckResult::ok);
    CHECK(f.health_sent[0].details.at("database").starts_with("quick_check ok"));
    CHECK(f.health_sent[0].checks.disk != CheckResult::skipped);
    CHECK(f.health_sent[0].checks.memory != CheckResult::skipped);
    CHECK(f.health_sent[0].checks.containers == CheckResult::skipped);
    CHECK(seen.size() == 2);

    pipeline.set_health_interval(50ms);
    REQUIRE(f.run_until([&] { return !f.health_posted.empty(); }));
    CHECK_FALSE(f.health_posted[0].ref);
}

// A collector that does not return by its deadline holds the collection
// thread; health is read elsewhere and still answers, and says so.
TEST_CASE("pipeline: a stuck collector does not hold health back, health says it is busy") {
    Fixture f;
    auto stuck = std::make_unique<StuckCollector>(2500ms);
    const StuckCollector& probe = *stuck;
    telemetry::CollectorSet set;
    set.push_back(std::move(stuck));
    TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(20ms), f.hooks(), std::move(set));
    pipeline.start();
    REQUIRE(f.run_until([&] { return probe.started.load(); }));
    // Past the sample's deadline (20 ms) by more than a second.
    (void)f.run_until([] { return false; }, 1200ms);
    const auto asked = std::chrono::steady_clock::now();
    pipeline.health_check("req-1");
    pipeline.health_check("req-2");
    REQUIRE(f.run_until([&] { return f.health_sent.size() >= 2; }, 800ms));
    CHECK(std::chrono::steady_clock::now() - asked < 800ms);
    CHECK(f.posted.empty());  // the sample is indeed still stuck
    using protocol::outbound::CheckResult;
    for (const auto& health : f.health_sent) {
        CHECK(health.checks.agent == CheckResult::warn);
        CHECK_THAT(health.details.at("agent"), Catch::Contains("collection thread busy since "));
        CHECK(health.checks.disk != CheckResult::skipped);
    }
    CHECK(f.health_sent[0].ref == "req-1");
    CHECK(f.health_sent[1].ref == "req-2");
    pipeline.stop();
}

TEST_CASE("pipeline: a health_check reuses a fresh database verdict, a periodic report checks") {
    Fixture f;
    TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(1h), f.hooks(), {});
    pipeline.start();
    pipeline.health_check("req-1");
    REQUIRE(f.run_until([&] { return f.health_sent.size() >= 1; }));
    pipeline.health_check("req-2");
    REQUIRE(f.run_until([&] { return f.health_sent.size() >= 2; }));
    const auto& first = f.health_sent[0].details.at("database");
    const auto& second = f.health_sent[1].details.at("database");
    CHECK(first.find("s ago") == std::string::npos);  // checked for it
    CHECK_THAT(second, Catch::StartsWith("quick_check ok in ") &&
                           Catch::EndsWith(" s ago: at most once per health.interval)"));
    pipeline.set_health_interval(50ms);
    REQUIRE(f.run_until([&] { return !f.health_posted.empty(); }));
    CHECK(f.health_posted[0].details.at("database").find("s ago") == std::string::npos);
}

TEST_CASE("pipeline: containers health is warn when the collector failed, skipped without socket") {
    using protocol::outbound::CheckResult;
    const auto containers_check = [](std::unique_ptr<collectors::Collector> collector) {
        Fixture f;
        telemetry::CollectorSet set;
        set.push_back(std::move(collector));
        TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(20ms), f.hooks(), std::move(set));
        pipeline.start();
        REQUIRE(f.run_until([&] { return !f.posted.empty(); }));
        pipeline.health_check("req-1");
        REQUIRE(f.run_until([&] { return !f.health_sent.empty(); }));
        return std::pair{f.health_sent[0].checks.containers,
                         f.health_sent[0].details.at("containers")};
    };
    const auto [hung, hung_why] = containers_check(std::make_unique<HungDockerCollector>());
    CHECK(hung == CheckResult::warn);
    CHECK(hung_why == "containers collector failed: GET /v1.41/containers/json: timed out");
    const auto [absent, absent_why] = containers_check(std::make_unique<AbsentCollector>());
    CHECK(absent == CheckResult::skipped);
    CHECK(absent_why == "no socket");
}

// The figures of docs/telemetry.md, "Pipeline": the same loop, 8 s idle,
// 8 s collecting every 100 ms with a collector that burns 30 ms of CPU per
// sample (a /proc walk of a big host), and 8 s collecting every 400 ms with
// one that waits 300 ms per sample (a slow statvfs). Were collection on the
// loop, the last would make the loop 300 ms late; the bound below is half
// that, wide enough for a loaded two-core machine.
TEST_CASE("pipeline: collecting does not add to the loop's lag") {
    Fixture f;
    const auto measure = [&](telemetry::CollectorSet set, std::chrono::milliseconds interval) {
        TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(interval), f.hooks(),
                                   std::move(set));
        pipeline.start();
        f.run_until([] { return false; }, 8s);
        pipeline.stop();
        return std::pair{pipeline.lag().summary(), pipeline.status().samples};
    };
    const auto ms = [](std::chrono::microseconds d) {
        return static_cast<double>(d.count()) / 1e3;
    };
    const auto show = [&](const char* what, const telemetry::LagSummary& lag, std::uint64_t n) {
        return fmt::format(
            "{} ({} samples): p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms ({} probes)", what, n,
            ms(lag.p50), ms(lag.p99), ms(lag.max), lag.samples);
    };
    const auto [idle, idle_samples] = measure({}, 1h);
    telemetry::CollectorSet busy;
    busy.push_back(std::make_unique<SlowCollector>(30ms, true));
    const auto [spinning, spinning_samples] = measure(std::move(busy), 100ms);
    telemetry::CollectorSet slow;
    slow.push_back(std::make_unique<SlowCollector>(300ms, false));
    const auto [waiting, waiting_samples] = measure(std::move(slow), 400ms);
    WARN(
        "loop lag " << show("idle", idle, idle_samples) << "; "
                    << show("collecting 30 ms of CPU every 100 ms", spinning, spinning_samples)
                    << "; "
                    << show("collecting 300 ms of waiting every 400 ms", waiting, waiting_samples));
    CHECK(idle_samples == 0);
    CHECK(spinning_samples >= 40);
    CHECK(waiting_samples >= 10);
    CHECK(waiting.samples >= 20);
    CHECK(waiting.max < 150ms);
}

// §3.4 against a small outbox, with the real OutboxSender offline: 1 000
// samples (1 ms apart: the interval is the pipeline's constructor argument,
// which no config file can set below 1 s), 50 kept. Every drop is counted,
// the kept ones are the newest in order, and agent.outbox.dropped never goes
// down (a running total, not a per-sample count).
TEST_CASE("pipeline: an outage of 1000 samples against max_messages 50") {
    Fixture f(journal::OutboxLimits{.max_messages = 50, .max_bytes = 16 * 1024 * 1024});
    runtime::OutboxSender outbox(
        *f.loop, &*f.db, runtime::OutboxSender::Settings{},
        runtime::OutboxSender::Link{.online = [] { return false; },
                                    .send = [](std::string) { return false; },
                                    .probe = [] { return std::optional<std::string>{}; },
                                    .paused = [] { return false; }});
    std::vector<Telemetry> made;
    auto hooks = f.hooks();
    hooks.post = [&](protocol::outbound::Body body) { outbox.post(std::move(body)); };
    telemetry::CollectorSet set;
    set.push_back(std::make_unique<UptimeCollector>());
    TelemetryPipeline pipeline(*f.loop, &*f.db, f.settings(1ms), hooks, std::move(set));
    pipeline.on_sample = [&](const Telemetry& t) { made.push_back(t); };
    pipeline.start();
    REQUIRE(f.run_until([&] { return made.size() >= 1000; }, 120s));
    pipeline.stop();

    for (std::size_t i = 1; i < made.size(); ++i) {
        CHECK(made[i].agent.outbox.dropped >= made[i - 1].agent.outbox.dropped);
    }
    auto dropped = f.db->dropped_count();
    REQUIRE(dropped);
    CHECK(dropped->other == 0);
    CHECK(dropped->telemetry == made.size() - 50);
    auto kept = f.db->peek(100);
    REQUIRE(kept);
    REQUIRE(kept->size() == 50);
    for (std::size_t i = 0; i < kept->size(); ++i) {
        const std::uint64_t seq = made[made.size() - 50 + i].seq;
        CHECK((*kept)[i].payload_json.find(fmt::format("\"seq\":{},", seq)) != std::string::npos);
    }
    // The last sample carried the total as it was when it was made.
    CHECK(made.back().agent.outbox.dropped == made.size() - 51);
    CHECK(made.back().agent.outbox.messages == 50);
}
