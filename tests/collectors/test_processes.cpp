// processes: the walk over <proc>/[0-9]*, top lists by CPU delta and RSS, on
// this machine's saved readings, on odd input, and at 100 000 processes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "collectors/pid_parse.hpp"
#include "collectors/processes_collector.hpp"
#include "snapshot.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;
using namespace std::chrono_literals;
using outpost::protocol::outbound::ProcessEntry;
using outpost::protocol::outbound::Telemetry;
using outpost::test_support::TempDir;
namespace fs = std::filesystem;

namespace {

// A root whose `proc` is a symlink, re-pointed between readings so one
// collector (which keeps the previous reading) sees both.
class SwitchableRoot {
  public:
    SwitchableRoot() : link_(dir_.file("proc")) {}
    void point_at(const fs::path& target) {
        fs::remove(link_);
        fs::create_directory_symlink(target, link_);
    }
    [[nodiscard]] Roots roots() const { return Roots{link_.string(), "/nonexistent-sys"}; }
    [[nodiscard]] const TempDir& dir() const { return dir_; }

  private:
    TempDir dir_{"processes"};
    fs::path link_;
};

std::vector<std::int64_t> pids_of(const std::vector<ProcessEntry>& list) {
    std::vector<std::int64_t> pids;
    for (const auto& entry : list) pids.push_back(entry.pid);
    return pids;
}

// A synthetic <proc> with `count` processes: pid stat and status files in
// the kernel's format, `ticks` of CPU for each.
void write_process_tree(const fs::path& proc, int count, std::uint64_t ticks) {
    for (int pid = 1; pid <= count; ++pid) {
        const fs::path dir = proc / std::to_string(pid);
        fs::create_directories(dir);
        std::ofstream(dir / "stat")
            << pid << " (worker " << pid % 7 << ") "
            << "RSDZS"[pid % 5] << " 1 " << pid << " 0 0 -1 4194560 100 0 0 0 " << ticks + pid % 13
            << " " << ticks << " 0 0 20 0 " << 1 + pid % 3 << " 0 " << 1000 + pid << " 10485760 "
            << pid % 1000 << " 184467 0\n";
        std::ofstream(dir / "status") << "Name:\tworker\nUid:\t" << pid % 3 << "\t0\t0\t0\n";
    }
}

}  // namespace

TEST_CASE("processes of this machine's two saved readings") {
    SwitchableRoot root;
    ProcessesCollector collector(ProcessesSettings{true, 3}, root.roots());
    const auto t0 = std::chrono::steady_clock::now();
    root.point_at(snapshot_proc("live-2cpu", 1));
    Telemetry first;
    REQUIRE(collector.collect(request_at(t0), first));
    REQUIRE(first.system.processes);
    CHECK(first.system.processes->top_cpu.empty());  // nothing to compare with yet
    CHECK(first.system.processes->top_rss.size() == 3);

    root.point_at(snapshot_proc("live-2cpu", 2));
    Telemetry second;
    REQUIRE(collector.collect(request_at(t0 + 2s), second));
    const auto& p = *second.system.processes;
    CHECK(p.total == 5);
    CHECK(p.running == 4);
    CHECK(p.blocked == 0);
    CHECK(p.zombie == 0);
    CHECK(p.threads == 45);
    // utime+stime deltas over 2 s at 100 ticks/s: 52, 51, 50 (pid 26293
    // and 26356 tie at 50; the lower pid wins).
    REQUIRE(pids_of(p.top_cpu) == std::vector<std::int64_t>{26364, 26308, 26293});
    CHECK(p.top_cpu[0].cpu_percent == Approx(26.0));
    CHECK(p.top_cpu[1].cpu_percent == Approx(25.5));
    CHECK(p.top_cpu[2].cpu_percent == Approx(25.0));
    CHECK(p.top_cpu[0].name == "ld");
    CHECK(p.top_cpu[1].name == "cc1plus");
    CHECK(p.top_cpu[0].user == "root");
    REQUIRE(pids_of(p.top_rss) == std::vector<std::int64_t>{26293, 26356, 26364});
    CHECK(p.top_rss[0].rss_bytes == 108489 * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
    CHECK(p.top_rss[0].user == "root");
}

TEST_CASE("a reused pid is a new process, and odd or vanished entries are skipped") {
    SwitchableRoot root;
    const fs::path one = root.dir().file("one");
    const fs::path two = root.dir().file("two");
    const auto stat = [](int pid, std::uint64_t ticks, std::uint64_t start, const char* comm) {
        return std::to_string(pid) + " (" + comm + ") R 1 1 1 0 -1 0 0 0 0 0 " +
               std::to_string(ticks) + " 0 0 0 20 0 1 0 " + std::to_string(start) + " 1000 10 0\n";
    };
    const auto write = [](const fs::path& path, const std::string& text) {
        fs::create_directories(path.parent_path());
        std::ofstream(path) << text;
    };
    write(one / "100/stat", stat(100, 500, 1000, "old"));
    write(one / "200/stat", stat(200, 100, 2000, "steady"));
    // Reading 2: pid 100 is another process now (new start time) with more
    // ticks than the old one had; 200 used 50 ticks; 300's stat is garbage,
    // 400 has a comm with spaces, parentheses and control bytes, 500 has no
    // stat (exited mid-walk), and a non-numeric entry is not a process.
    write(two / "100/stat", stat(100, 900, 5000, "new"));
    write(two / "200/stat", stat(200, 150, 2000, "steady"));
    write(two / "300/stat", "300 (garbage) R 1 x\n");
    write(two / "400/stat", stat(400, 1, 3000, "a) b\x1b[31m\xff"));
    fs::create_directories(two / "500");
    fs::create_directories(two / "self");
    ProcessesCollector collector(ProcessesSettings{true, 5}, root.roots());
    const auto t0 = std::chrono::steady_clock::now();
    root.point_at(one);
    Telemetry first;
    REQUIRE(collector.collect(request_at(t0), first));
    root.point_at(two);
    Telemetry second;
    REQUIRE(collector.collect(request_at(t0 + 1s), second));
    const auto& p = *second.system.processes;
    CHECK(p.total == 3);
    REQUIRE(pids_of(p.top_cpu) == std::vector<std::int64_t>{200});
    CHECK(p.top_cpu[0].cpu_percent == Approx(50.0));
    CHECK(p.top_cpu[0].user == "?");  // no status file to read the uid from
    for (const auto& entry : p.top_rss) {
        if (entry.pid == 400) CHECK(entry.name == "a) b?[31m?");
    }
}

TEST_CASE("pid stat and status parse, and odd text is an error") {
    auto stat = parse_pid_stat(
        "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 4 0 98765 "
        "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
    REQUIRE(stat);
    CHECK(stat->comm == "my (odd) name");
    CHECK(stat->state == 'S');
    CHECK(stat->utime == 250);
    CHECK(stat->stime == 50);
    CHECK(stat->threads == 4);
    CHECK(stat->starttime == 98765);
    CHECK(stat->rss_pages == 2048);
    CHECK(parse_pid_stat("1234 no comm S 1").error().message() == "pid stat without (comm)");
    CHECK_FALSE(parse_pid_stat("1234 (x) S 1 2 3"));  // truncated
    CHECK_FALSE(parse_pid_stat("1234 (x) SS 1 2 3"));
    CHECK_FALSE(parse_pid_stat(")1234 (x"));
    CHECK(parse_status_uid("Name:\tbash\nUid:\t1000\t1000\t1000\t1000\n") == 1000u);
    CHECK(parse_status_uid("Name:\tbash\n").error().message() == "status has no Uid line");
    CHECK_FALSE(parse_status_uid("Uid:\t-1\n"));
    CHECK_FALSE(parse_status_uid("Uid:\t4294967296\n"));
}

TEST_CASE("processes of the live host are within range") {
    ProcessesCollector collector(ProcessesSettings{}, Roots{});
    Telemetry first, second;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(collector.collect(request_at(t0), first));
    std::this_thread::sleep_for(200ms);
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(collector.collect(request_at(t1), second));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    const auto& p = *second.system.processes;
    WARN("processes collect on this host: " << ms << " ms for " << p.total << " processes");
    CHECK(p.total > 1);
    CHECK(p.threads >= p.total);
    CHECK(p.running + p.blocked + p.zombie <= p.total);
    CHECK(p.top_rss.size() == 5);
    CHECK(p.top_cpu.size() <= 5);
    for (const auto& entry : p.top_rss) {
        CHECK(entry.pid > 0);
        CHECK(entry.rss_bytes > 0);
        CHECK_FALSE(entry.name.empty());
        CHECK_FALSE(entry.user.empty());
    }
    for (const auto& entry : p.top_cpu) {
        CHECK(entry.cpu_percent > 0);
        // Percent of one core; a process cannot use more cores than exist.
        CHECK(entry.cpu_percent <=
              100.0 * static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)) + 1);
    }
}

TEST_CASE("a synthetic tree of 2 000 processes is counted exactly") {
    SwitchableRoot root;
    write_process_tree(root.dir().file("tree"), 2000, 100);
    root.point_at(root.dir().file("tree"));
    ProcessesCollector collector(ProcessesSettings{true, 5}, root.roots());
    Telemetry sample;
    REQUIRE(collector.collect(request_now(), sample));
    const auto& p = *sample.system.processes;
    CHECK(p.total == 2000);
    CHECK(p.running == 400);
    CHECK(p.blocked == 400);
    CHECK(p.zombie == 400);
    CHECK(p.threads == 666 * 1 + 667 * 2 + 667 * 3);
    // RSS is pid % 1000 pages: 999 and 1999 lead, then 998 and 1998.
    CHECK(pids_of(p.top_rss) == std::vector<std::int64_t>{999, 1999, 998, 1998, 997});
    CHECK(p.top_rss[0].name == "worker 5");
    CHECK(p.top_rss[0].user == "root");  // uid 999 % 3 = 0
}

TEST_CASE("a walk past its deadline stops and says so") {
    SwitchableRoot root;
    write_process_tree(root.dir().file("tree"), 2000, 100);
    root.point_at(root.dir().file("tree"));
    ProcessesCollector collector(ProcessesSettings{true, 5}, root.roots());
    Telemetry sample;
    const auto now = std::chrono::steady_clock::now();
    auto collected = collector.collect(CollectRequest{now, now}, sample);
    REQUIRE(collected);
    CHECK(sample.system.processes->total < 2000);
    CHECK(collected->note.find("walk stopped at the deadline") != std::string::npos);
}

// Not run by default (hidden tag): writes 100 000 synthetic processes (about
// a minute on this machine) and times the walk. Run with
// `test_collectors "[.bench]"`; the figure is in docs/telemetry.md.
TEST_CASE("a synthetic tree of 100 000 processes", "[.bench]") {
    SwitchableRoot root;
    write_process_tree(root.dir().file("tree"), 100'000, 100);
    root.point_at(root.dir().file("tree"));
    ProcessesCollector collector(ProcessesSettings{true, 5}, root.roots());
    Telemetry first, second;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(collector.collect(request_at(t0, 60s), first));
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE(collector.collect(request_at(t1, 60s), second));
    const auto t2 = std::chrono::steady_clock::now();
    const double first_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    const double second_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    WARN("100 000 processes: first walk " << first_ms << " ms, second " << second_ms << " ms");
    CHECK(second.system.processes->total == 100'000);
}
