#include <catch2/catch.hpp>

#include "agent/telemetry/lag_meter.hpp"

using namespace std::chrono_literals;
using outpost::telemetry::LagMeter;

TEST_CASE("lag: no probes, no figures") {
    LagMeter meter;
    const auto s = meter.summary();
    CHECK(s.samples == 0);
    CHECK(s.max == 0us);
}

TEST_CASE("lag: p50, p99 and max over the window") {
    LagMeter meter;
    for (int i = 1; i <= 100; ++i) meter.record(std::chrono::microseconds(i * 10));
    const auto s = meter.summary();
    CHECK(s.samples == 100);
    CHECK(s.p50 == 500us);
    CHECK(s.p99 == 990us);
    CHECK(s.max == 1000us);
}

TEST_CASE("lag: the window forgets old probes, worst_ever does not") {
    LagMeter meter;
    meter.record(5s);
    for (std::size_t i = 0; i < LagMeter::kWindow; ++i) meter.record(100us);
    const auto s = meter.summary();
    CHECK(s.samples == LagMeter::kWindow);
    CHECK(s.max == 100us);
    CHECK(meter.worst_ever() == 5s);
    CHECK(meter.recorded() == LagMeter::kWindow + 1);
}

TEST_CASE("lag: a negative lateness counts as none") {
    LagMeter meter;
    meter.record(-3ms);
    CHECK(meter.summary().max == 0us);
}
