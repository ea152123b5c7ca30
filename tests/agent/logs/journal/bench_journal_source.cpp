// Figures for docs/log-streaming.md ("journald sources", cost): hidden
// ([.]), run by hand:
//   build/dev/tests/agent/logs/journal/test_logs_journal "[bench]"
// Prints what it measures; asserts only that every entry arrived.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "agent/logs/journal/journal_source.hpp"
#include "agent/transport/event_loop.hpp"
#include "journal_files.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
using namespace outpost::logs;
using namespace outpost::logs::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

config::LogSourceEntry bench_entry(const std::filesystem::path& directory) {
    return config::LogSourceEntry{.name = "app",
                                  .kind = config::LogSourceKind::journal,
                                  .path = {},
                                  .unit = "app.service",
                                  .journal_directory = directory.string(),
                                  .max_line_bytes = 16384,
                                  .lines_per_second = 1000};
}

std::vector<Entry> mixed(int first, int count) {
    std::vector<Entry> entries;
    for (int i = first; i < first + count; ++i) {
        const auto usec = 1'700'000'000'000'000ULL + static_cast<std::uint64_t>(i) * 10;
        entries.push_back({"other.service", "GET /index.html 200 " + std::to_string(i), usec, {}});
        entries.push_back(
            {"app.service", "request handled in 3 ms, id " + std::to_string(i), usec + 1, {}});
    }
    return entries;
}

}  // namespace

TEST_CASE("journal bench: history, read throughput and append-to-readable latency",
          "[.][bench][logs][journal]") {
    if (!journal_remote_available()) OUTPOST_SKIP("systemd-journal-remote is not installed");
    test_support::TempDir dir("journal-bench");
    constexpr int kEntries = 50'000;  // of the unit, among as many of another
    append_entries(dir.file("a.journal"), mixed(0, kEntries));

    auto source = JournalSource::open(bench_entry(dir.path()));
    REQUIRE(source);
    auto start = Clock::now();
    auto history = (*source)->history(10'000);
    const double history_ms = ms_since(start);
    REQUIRE(history);
    REQUIRE(history->size() == 10'000);

    // Latency: journal-remote's exit to the record in hand, through the loop.
    auto created = transport::EventLoop::create();
    REQUIRE(created);
    auto& loop = **created;
    std::vector<double> latencies;
    std::size_t received = 0;
    Clock::time_point written{};
    auto follower = std::move(*source);
    REQUIRE(follower->follow(loop, SourceEvents{.on_readable =
                                                    [&] {
                                                        auto batch = follower->read(100, 1 << 20);
                                                        if (batch.empty()) return;
                                                        received += batch.size();
                                                        latencies.push_back(ms_since(written));
                                                    },
                                                .on_failed = [](std::string) {}}));
    for (int i = 0; i < 20; ++i) {
        written = Clock::now();  // an upper bound: includes journal-remote's run
        append_entries(dir.file("a.journal"), {{"app.service", "ping", 1, {}}});
        written = Clock::now();  // from its exit (the entry is written by then)
        const std::size_t want = static_cast<std::size_t>(i + 1);
        REQUIRE(loop.run_until([&] { return received >= want; }, 5s));
    }
    follower.reset();
    std::sort(latencies.begin(), latencies.end());

    // read() throughput: a source on an empty directory, then the whole
    // journal appears in it; read in a stream's batches (1000 records / 1 MiB).
    test_support::TempDir fresh("journal-bench");
    auto reader = JournalSource::open(bench_entry(fresh.path()));
    REQUIRE(reader);
    REQUIRE((*reader)->history(0));
    bool readable = false;
    REQUIRE((*reader)->follow(loop, SourceEvents{.on_readable = [&] { readable = true; },
                                                 .on_failed = [](std::string) {}}));
    append_entries(fresh.file("a.journal"), mixed(0, kEntries));
    REQUIRE(loop.run_until([&] { return readable; }, 5s));
    start = Clock::now();
    std::size_t read_count = 0;
    for (;;) {
        auto batch = (*reader)->read(1000, 1 << 20);
        if (batch.empty()) break;
        read_count += batch.size();
    }
    const double read_all_ms = ms_since(start);
    CHECK(read_count == static_cast<std::size_t>(kEntries));
    reader->reset();
    WARN("history(10000) of 50000 unit entries among 100000: "
         << history_ms << " ms; " << kEntries << " entries through read(): " << read_all_ms
         << " ms (" << (read_all_ms * 1000.0 / kEntries)
         << " us/entry); journal-remote exit -> record: p50 " << latencies[latencies.size() / 2]
         << " ms, max " << latencies.back() << " ms");
}
