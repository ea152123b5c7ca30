// The journal's history is bounded by its text as well as by its lines, and
// the newest entries win (logs.max_history_bytes).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "agent/config/config.hpp"
#include "agent/logs/journal/journal_source.hpp"
#include "journal_files.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using outpost::logs::JournalSource;
using outpost::logs::test::append_entries;
using outpost::logs::test::Entry;
using outpost::logs::test::journal_remote_available;
using outpost::test_support::TempDir;

namespace {

// `count` entries of the unit, 1000 bytes each, numbered.
std::vector<Entry> big_entries(int count) {
    std::vector<Entry> entries;
    for (int i = 0; i < count; ++i) {
        entries.push_back(Entry{.unit = "app.service",
                                .message = fmt::format("{:05}", i) + std::string(995, 'x'),
                                .realtime_usec = 1'700'000'000'000'000 + 1000ULL * i,
                                .fields = {}});
    }
    return entries;
}

std::unique_ptr<JournalSource> open_dir(const TempDir& dir) {
    auto source = JournalSource::open(
        outpost::config::LogSourceEntry{.name = "app",
                                        .kind = outpost::config::LogSourceKind::journal,
                                        .path = {},
                                        .unit = "app.service",
                                        .journal_directory = dir.path().string(),
                                        .max_line_bytes = 16384,
                                        .lines_per_second = 1000});
    if (!source) FAIL(source.error().message());
    return std::move(*source);
}

}  // namespace

TEST_CASE("journal: history keeps the newest entries that fit in max_bytes", "[logs][journal]") {
    if (!journal_remote_available()) OUTPOST_SKIP("systemd-journal-remote is not installed");
    TempDir dir("journal-history-bytes");
    append_entries(dir.file("a.journal"), big_entries(50));
    auto source = open_dir(dir);
    auto history = source->history(50, 10 * 1000 + 500);
    REQUIRE(history);
    REQUIRE(history->size() == 10);
    CHECK(history->front().text.starts_with("00040"));
    CHECK(history->back().text.starts_with("00049"));
    // Following goes on after the newest: nothing is repeated.
    CHECK(source->read(100, 1 << 20).empty());
}

TEST_CASE("journal: an entry over max_bytes alone gives no history, following after it",
          "[logs][journal]") {
    if (!journal_remote_available()) OUTPOST_SKIP("systemd-journal-remote is not installed");
    TempDir dir("journal-history-bytes");
    append_entries(dir.file("a.journal"), big_entries(5));
    auto source = open_dir(dir);
    auto history = source->history(5, 500);
    REQUIRE(history);
    CHECK(history->empty());
    CHECK(source->read(100, 1 << 20).empty());
}
