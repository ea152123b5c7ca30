#include <catch2/catch.hpp>

#include "agent/telemetry/tick_policy.hpp"

using namespace std::chrono_literals;
using outpost::telemetry::Clock;
using outpost::telemetry::sample_interval;
using outpost::telemetry::TickPolicy;

TEST_CASE("the server's telemetry_s wins over telemetry.interval") {
    CHECK(sample_interval(60s, std::nullopt) == 60s);
    CHECK(sample_interval(60s, 15) == 15s);
    CHECK(sample_interval(60s, 0) == 60s);  // 0 is no word from the server
}

TEST_CASE("a tick starts a sample and the next is one interval later") {
    TickPolicy ticks(10s);
    const Clock::time_point t0{};
    ticks.reset(10s, t0);
    CHECK(ticks.next_due() == t0 + 10s);
    CHECK(ticks.on_tick(t0 + 10s, false));
    CHECK(ticks.next_due() == t0 + 20s);
    CHECK(ticks.skipped() == 0);
    // Fired a little late: the schedule does not drift.
    CHECK(ticks.on_tick(t0 + 20s + 300ms, false));
    CHECK(ticks.next_due() == t0 + 30s);
}

TEST_CASE("a tick while a sample is in flight is skipped and counted, never queued") {
    TickPolicy ticks(10s);
    const Clock::time_point t0{};
    ticks.reset(10s, t0);
    CHECK_FALSE(ticks.on_tick(t0 + 10s, true));
    CHECK(ticks.skipped() == 1);
    CHECK_FALSE(ticks.on_tick(t0 + 20s, true));
    CHECK(ticks.skipped() == 2);
    CHECK(ticks.on_tick(t0 + 30s, false));
    CHECK(ticks.skipped() == 2);
    CHECK(ticks.next_due() == t0 + 40s);
}

TEST_CASE("ticks the loop missed are counted and not made up") {
    TickPolicy ticks(10s);
    const Clock::time_point t0{};
    ticks.reset(10s, t0);
    // Due at 10 s; the loop was blocked until 45 s: the ticks of 20, 30 and
    // 40 s are gone, one sample now, the next at 50 s.
    CHECK(ticks.on_tick(t0 + 45s, false));
    CHECK(ticks.skipped() == 3);
    CHECK(ticks.next_due() == t0 + 50s);
}

TEST_CASE("reset restarts the schedule from now with the new interval") {
    TickPolicy ticks(60s);
    const Clock::time_point t0{};
    ticks.reset(60s, t0);
    ticks.reset(5s, t0 + 7s);
    CHECK(ticks.interval() == 5s);
    CHECK(ticks.next_due() == t0 + 12s);
}
