// cpu: /proc/stat parsing and busy shares, on saved snapshots (two readings
// each) and on odd input.
#include <catch2/catch.hpp>

#include "collectors/cpu_collector.hpp"
#include "collectors/cpu_parse.hpp"
#include "collectors/proc_text.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;

namespace {

ProcStat stat_of(const std::string& host, int reading) {
    auto text = read_proc_file(snapshot_proc(host, reading) + "/stat");
    REQUIRE(text);
    auto parsed = parse_proc_stat(*text);
    REQUIRE(parsed);
    return *parsed;
}

outpost::protocol::outbound::CpuStats shares_of(const std::string& host) {
    const ProcStat before = stat_of(host, 1);
    return cpu_shares(&before, stat_of(host, 2));
}

}  // namespace

TEST_CASE("cpu shares of this machine's two saved readings") {
    // Both cores were busy compiling: no idle or iowait tick in between.
    const auto cpu = shares_of("live-2cpu");
    CHECK(cpu.cores == 2);
    CHECK(cpu.usage_percent.value_or(-1) == Approx(100.0));
    CHECK(cpu.user_percent.value_or(-1) == Approx(92.619048));
    CHECK(cpu.system_percent.value_or(-1) == Approx(7.380952));
    CHECK(cpu.iowait_percent.value_or(-1) == Approx(0.0));
    CHECK(cpu.steal_percent.value_or(-1) == Approx(0.0));
    REQUIRE(cpu.per_core_percent.size() == 2);
    CHECK(cpu.per_core_percent[0] == Approx(100.0));
    CHECK(cpu.per_core_percent[1] == Approx(100.0));
}

TEST_CASE("cpu shares of a 64-core host with steal, guest and iowait") {
    const auto cpu = shares_of("many-core-64");
    CHECK(cpu.cores == 64);
    CHECK(cpu.usage_percent.value_or(-1) == Approx(51.389063));
    CHECK(cpu.user_percent.value_or(-1) == Approx(38.482813));
    CHECK(cpu.system_percent.value_or(-1) == Approx(10.129687));
    CHECK(cpu.iowait_percent.value_or(-1) == Approx(7.4125));
    CHECK(cpu.steal_percent.value_or(-1) == Approx(2.776562));
    REQUIRE(cpu.per_core_percent.size() == 64);
    CHECK(cpu.per_core_percent[0] == Approx(42.6));
    CHECK(cpu.per_core_percent[2] == Approx(90.8));
    CHECK(cpu.per_core_percent[7] == Approx(100.0));
    CHECK(cpu.per_core_percent[9] == Approx(39.3));
}

TEST_CASE("cpu shares of an old kernel whose cpu lines have seven columns") {
    const auto cpu = shares_of("old-kernel");
    CHECK(cpu.cores == 2);
    CHECK(cpu.usage_percent.value_or(-1) == Approx(50.0));
    CHECK(cpu.user_percent.value_or(-1) == Approx(33.333333));
    CHECK(cpu.system_percent.value_or(-1) == Approx(16.666667));
    CHECK(cpu.iowait_percent.value_or(-1) == Approx(16.666667));
    CHECK(cpu.steal_percent.value_or(-1) == Approx(0.0));
    CHECK(cpu.per_core_percent == std::vector<double>{50.0, 50.0});
}

TEST_CASE("the first cpu reading has cores but no shares") {
    const auto cpu = cpu_shares(nullptr, stat_of("many-core-64", 1));
    CHECK(cpu.cores == 64);
    CHECK_FALSE(cpu.usage_percent);
    CHECK(cpu.per_core_percent.empty());
}

TEST_CASE("cpu counters that go backwards give no share, never a negative one") {
    // The readings swapped: every counter went backwards (a reset, or a
    // snapshot from another boot).
    const ProcStat later = stat_of("many-core-64", 2);
    const auto cpu = cpu_shares(&later, stat_of("many-core-64", 1));
    CHECK_FALSE(cpu.usage_percent);
    CHECK_FALSE(cpu.user_percent);
    CHECK(cpu.per_core_percent.empty());
    CHECK(cpu.cores == 64);
}

TEST_CASE("a core taken offline between readings empties per_core but keeps the total") {
    auto before = parse_proc_stat(
        "cpu 100 0 100 800 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0\n"
        "cpu1 50 0 50 400 0 0 0 0\n");
    // cpu1 offline: its line is gone and the total stops counting it.
    auto after = parse_proc_stat("cpu 200 0 100 900 0 0 0 0\ncpu0 150 0 50 500 0 0 0 0\n");
    REQUIRE(before);
    REQUIRE(after);
    const auto cpu = cpu_shares(&*before, *after);
    CHECK(cpu.cores == 1);
    CHECK(cpu.per_core_percent.empty());
    REQUIRE(cpu.usage_percent);
    CHECK(cpu.usage_percent.value_or(-1) == Approx(50.0));
}

TEST_CASE("no time between two cpu readings gives no share") {
    const ProcStat same = stat_of("old-kernel", 1);
    const auto cpu = cpu_shares(&same, same);
    CHECK_FALSE(cpu.usage_percent);
    CHECK(cpu.per_core_percent.empty());
}

TEST_CASE("odd /proc/stat text is an error with a clear message") {
    CHECK_FALSE(parse_proc_stat(""));
    CHECK(parse_proc_stat("intr 1 2 3\n").error().message() == "/proc/stat has no `cpu` line");
    auto three = parse_proc_stat("cpu 1 2 3\n");  // truncated line
    REQUIRE_FALSE(three);
    CHECK(three.error().message() == "malformed /proc/stat line `cpu 1 2 3`");
    CHECK_FALSE(parse_proc_stat("cpu 1 2 3 4\ncpu0 1 2 x 4\n"));
    CHECK_FALSE(parse_proc_stat("cpu 1 2 3 99999999999999999999999\n"));  // overflows
    CHECK_FALSE(parse_proc_stat("cpu 1 2 3 4\ncpuX 1 2 3 4\n"));
    CHECK(parse_proc_stat("cpu 1 2 3 -4\n").error().kind() == outpost::ErrorKind::invalid_input);
}

TEST_CASE("huge cpu counters give shares within 0 to 100") {
    auto before = parse_proc_stat("cpu 18446744073709551000 0 0 0 0 0 0 0\n");
    auto after = parse_proc_stat("cpu 18446744073709551615 0 0 10 0 0 0 0\n");
    REQUIRE(before);
    REQUIRE(after);
    const auto cpu = cpu_shares(&*before, *after);
    REQUIRE(cpu.usage_percent);
    CHECK(*cpu.usage_percent >= 0.0);
    CHECK(*cpu.usage_percent <= 100.0);
}

TEST_CASE("the cpu collector reports shares from its second call on") {
    CpuCollector first_root(snapshot_roots("many-core-64", 1));
    outpost::protocol::outbound::Telemetry sample;
    REQUIRE(first_root.collect(request_now(), sample));
    REQUIRE(sample.system.cpu);
    CHECK_FALSE(sample.system.cpu->usage_percent);
    CHECK(first_root.name() == "cpu");

    CpuCollector missing(Roots{"/nonexistent-proc", "/nonexistent-sys"});
    auto failed = missing.collect(request_now(), sample);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().kind() == outpost::ErrorKind::not_found);
}
