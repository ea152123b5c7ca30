// memory: /proc/meminfo and /proc/pressure on saved snapshots and odd input.
#include <catch2/catch.hpp>

#include "collectors/memory_collector.hpp"
#include "collectors/memory_parse.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;

namespace {

constexpr std::uint64_t KiB = 1024;

struct Result {
    outpost::protocol::outbound::Telemetry sample;
    Collected collected;
};

Result collect_memory(const std::string& host) {
    MemoryCollector collector(snapshot_roots(host));
    Result result;
    auto collected = collector.collect(request_now(), result.sample);
    REQUIRE(collected);
    REQUIRE(result.sample.system.memory);
    result.collected = *collected;
    return result;
}

}  // namespace

TEST_CASE("memory of this machine's saved meminfo and pressure") {
    const auto result = collect_memory("live-2cpu");
    const auto& m = *result.sample.system.memory;
    CHECK(m.total_bytes == 24683772 * KiB);
    CHECK(m.available_bytes == 21439364 * KiB);
    CHECK(m.used_bytes == (24683772 - 21439364) * KiB);
    CHECK(m.used_percent == Approx(13.143891));
    CHECK(m.swap_total_bytes == 0);
    CHECK(m.swap_used_bytes == 0);
    REQUIRE(m.pressure);
    CHECK(m.pressure->cpu_some.value_or(-1) == Approx(99.03));
    CHECK(m.pressure->memory_some.value_or(-1) == Approx(0.0));
    CHECK(m.pressure->memory_full.value_or(-1) == Approx(0.0));
    CHECK(m.pressure->io_some.value_or(-1) == Approx(0.08));
    CHECK(m.pressure->io_full.value_or(-1) == Approx(0.0));
    CHECK(result.collected.note.empty());
}

TEST_CASE("memory of a 512 GiB host with swap in use and PSI") {
    const auto result = collect_memory("many-core-64");
    const auto& m = *result.sample.system.memory;
    CHECK(m.total_bytes == 528280740 * KiB);
    CHECK(m.used_bytes == 125509320 * KiB);
    CHECK(m.used_percent == Approx(23.758072));
    CHECK(m.swap_total_bytes == 8388604 * KiB);
    CHECK(m.swap_used_bytes == 1048576 * KiB);
    REQUIRE(m.pressure);
    CHECK(m.pressure->cpu_some.value_or(-1) == Approx(12.5));
    CHECK(m.pressure->memory_full.value_or(-1) == Approx(0.5));
    CHECK(m.pressure->io_some.value_or(-1) == Approx(7.75));
    CHECK(m.pressure->io_full.value_or(-1) == Approx(3.33));
}

TEST_CASE("memory without MemAvailable falls back and says so, without PSI") {
    const auto result = collect_memory("old-kernel");
    const auto& m = *result.sample.system.memory;
    CHECK(m.total_bytes == 2055920 * KiB);
    CHECK(m.available_bytes == (118420 + 102812 + 813500) * KiB);
    CHECK(m.used_percent == Approx(49.670610));
    CHECK(m.swap_used_bytes == (4128760 - 4101188) * KiB);
    CHECK_FALSE(m.pressure);  // no /proc/pressure on that kernel
    CHECK(result.collected.note.find("no MemAvailable") != std::string::npos);
}

TEST_CASE("odd meminfo is an error with a clear message") {
    CHECK(parse_meminfo("").error().message() == "/proc/meminfo has no MemTotal");
    CHECK(parse_meminfo("MemTotal: 0 kB\nMemFree: 0 kB\n").error().message() ==
          "/proc/meminfo has no MemTotal");
    CHECK(parse_meminfo("MemTotal: 1000 kB\n").error().message() == "/proc/meminfo has no MemFree");
    CHECK(parse_meminfo("MemTotal: 1000 kB\nMemFree: lots kB\n").error().message() ==
          "malformed /proc/meminfo line `MemFree: lots kB`");
    CHECK_FALSE(parse_meminfo("MemTotal: 1000 MB\nMemFree: 10 kB\n"));
    // 2^64 / 1024 kB does not fit in bytes.
    CHECK_FALSE(parse_meminfo("MemTotal: 18014398509481984 kB\nMemFree: 1 kB\n"));
    // Lines we do not use may be anything.
    CHECK(parse_meminfo("MemTotal: 1000 kB\nMemFree: 10 kB\nWeird: ??\n"));
}

TEST_CASE("inconsistent meminfo values never give more than 100 % or wrap") {
    // Available above total, free + buffers + cached above total, swap free
    // above swap total: clamped, not wrapped.
    auto info = parse_meminfo(
        "MemTotal: 1000 kB\nMemFree: 900 kB\nMemAvailable: 5000 kB\nSwapTotal: 10 kB\nSwapFree: 20 "
        "kB\n");
    REQUIRE(info);
    auto figures = memory_figures(*info);
    CHECK(figures.stats.used_bytes == 0);
    CHECK(figures.stats.swap_used_bytes == 0);
    auto old = parse_meminfo(
        "MemTotal: 1000 kB\nMemFree: 18014398509481983 kB\nBuffers: "
        "18014398509481983 kB\nCached: 18014398509481983 kB\n");
    REQUIRE(old);
    figures = memory_figures(*old);
    CHECK(figures.estimated_available);
    CHECK(figures.stats.available_bytes == 1000 * KiB);
    CHECK(figures.stats.used_percent == Approx(0.0));
}

TEST_CASE("pressure files parse, with or without a full line") {
    auto cpu = parse_pressure("some avg10=1.50 avg60=0.80 avg300=0.20 total=12345\n");
    REQUIRE(cpu);
    CHECK(cpu->some_avg10 == Approx(1.5));
    CHECK_FALSE(cpu->full_avg10);
    CHECK(parse_pressure("full avg10=1.00 avg60=0 avg300=0 total=1\n").error().message() ==
          "pressure file has no `some` line");
    CHECK_FALSE(parse_pressure("some avg10=abc avg60=0.80\n"));
    CHECK_FALSE(parse_pressure("some avg10=100.01 avg60=0.80\n"));  // a share above 100 %
    CHECK_FALSE(parse_pressure("some avg60=0.80\n"));
}
