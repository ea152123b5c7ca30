// Health grading (pure) and the readings behind it: the journal's bounded
// quick_check on a real SQLite file, statvfs and /proc/meminfo.

#include <catch2/catch.hpp>

#include "agent/journal/journal.hpp"
#include "agent/telemetry/health_grades.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using namespace outpost;
using outpost::test_support::TempDir;
using protocol::outbound::CheckResult;
using telemetry::grade_health;
using telemetry::HealthReadings;
using telemetry::LoopFacts;

HealthReadings good_readings() {
    return HealthReadings{
        .disk_free = 0.5,
        .memory_available = 0.5,
        .database = Expected<journal::QuickCheck>(journal::QuickCheck{.ok = true, .detail = "ok"})};
}

LoopFacts lag_of(std::chrono::microseconds p99, std::chrono::microseconds max) {
    LoopFacts facts;
    facts.lag = telemetry::LagSummary{.p50 = 100us, .p99 = p99, .max = max, .samples = 100};
    return facts;
}

}  // namespace

TEST_CASE("health: the agent check grades the loop lag") {
    CHECK(grade_health("r", good_readings(), lag_of(1ms, 5ms)).checks.agent == CheckResult::ok);
    CHECK(grade_health("r", good_readings(), lag_of(60ms, 80ms)).checks.agent == CheckResult::warn);
    CHECK(grade_health("r", good_readings(), lag_of(1ms, 2s)).checks.agent == CheckResult::warn);
    CHECK(grade_health("r", good_readings(), lag_of(600ms, 700ms)).checks.agent ==
          CheckResult::fail);
    CHECK(grade_health("r", good_readings(), lag_of(1ms, 11s)).checks.agent == CheckResult::fail);
    const auto health = grade_health("r", good_readings(), lag_of(1ms, 5ms));
    CHECK(health.ref == "r");
    CHECK(health.details.at("agent").find("p99 1.0 ms") != std::string::npos);
}

TEST_CASE("health: disk and memory thresholds") {
    auto readings = good_readings();
    readings.disk_free = 0.05;
    readings.memory_available = 0.07;
    auto health = grade_health(std::nullopt, readings, lag_of(1ms, 1ms));
    CHECK(health.checks.disk == CheckResult::warn);
    CHECK(health.checks.memory == CheckResult::warn);
    readings.disk_free = 0.01;
    readings.memory_available = 0.01;
    health = grade_health(std::nullopt, readings, lag_of(1ms, 1ms));
    CHECK(health.checks.disk == CheckResult::fail);
    CHECK(health.checks.memory == CheckResult::fail);
    readings.memory_available = fail("no MemTotal");
    CHECK(grade_health(std::nullopt, readings, lag_of(1ms, 1ms)).checks.memory ==
          CheckResult::skipped);
}

TEST_CASE("health: database from quick_check, or the journal problem the agent knows") {
    auto readings = good_readings();
    CHECK(grade_health(std::nullopt, readings, lag_of(1ms, 1ms)).checks.database ==
          CheckResult::ok);
    readings.database = Expected<journal::QuickCheck>(fail(ErrorKind::timed_out, "slow"));
    CHECK(grade_health(std::nullopt, readings, lag_of(1ms, 1ms)).checks.database ==
          CheckResult::warn);
    readings.database = Expected<journal::QuickCheck>(journal::QuickCheck{.detail = "bad page"});
    CHECK(grade_health(std::nullopt, readings, lag_of(1ms, 1ms)).checks.database ==
          CheckResult::fail);
    auto facts = lag_of(1ms, 1ms);
    facts.journal_problem = "sync failed";
    const auto health = grade_health(std::nullopt, good_readings(), facts);
    CHECK(health.checks.database == CheckResult::fail);
    CHECK(health.details.at("database") == "sync failed");
    CHECK(health.checks.containers == CheckResult::skipped);
}

TEST_CASE("quick_check: a real journal passes, a damaged one fails, a zero budget times out") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = journal::Journal::open(path, journal::SyncMode::normal);
        REQUIRE(journal);
        for (int i = 0; i < 200; ++i) {
            REQUIRE(journal->enqueue(journal::OutboxKind::telemetry, std::string(500, 'x'),
                                     std::chrono::system_clock::now()));
        }
        auto check = journal->quick_check(2s);
        REQUIRE(check);
        CHECK(check->ok);
        CHECK(check->detail == "ok");
        auto rushed = journal->quick_check(0ms);
        REQUIRE_FALSE(rushed);
        CHECK(rushed.error().kind() == ErrorKind::timed_out);
        // The connection goes on working after the interrupt.
        REQUIRE(journal->size());
        CHECK(journal->quick_check(2s).has_value());
    }
}

TEST_CASE("readings: statvfs of a directory and /proc/meminfo") {
    TempDir dir;
    auto disk = telemetry::read_disk_free(dir.path().native());
    REQUIRE(disk);
    CHECK(*disk >= 0.0);
    CHECK(*disk <= 1.0);
    CHECK_FALSE(telemetry::read_disk_free(dir.file("nope").native()));
    auto memory = telemetry::read_memory_available("/proc");
    REQUIRE(memory);
    CHECK(*memory > 0.0);
    CHECK(*memory <= 1.0);
    CHECK_FALSE(telemetry::read_memory_available(dir.path().native()));
}
