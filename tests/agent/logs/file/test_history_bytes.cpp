// history(lines, max_bytes): a file's history is bounded by its text as well
// as by its lines, and the newest lines win (logs.max_history_bytes).
#include <catch2/catch.hpp>
#include <chrono>
#include <numeric>
#include <string>

#include <fmt/format.h>

#include "agent/logs/file/file_source.hpp"
#include "file_test_util.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using outpost::logs::LogRecord;
using outpost::logs::file::FileSource;
using outpost::logs::file::FileSourceOptions;
using outpost::logs::file::test::age_file;
using outpost::test_support::TempDir;

namespace {

// `count` lines of 1000 bytes, each starting with its number.
std::string numbered_lines(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text += fmt::format("{:05}", i) + std::string(995, 'x') + "\n";
    return text;
}

std::size_t text_bytes(const std::vector<LogRecord>& records) {
    return std::accumulate(records.begin(), records.end(), std::size_t{0},
                           [](std::size_t sum, const LogRecord& r) { return sum + r.text.size(); });
}

}  // namespace

TEST_CASE("history: the byte bound keeps the newest lines that fit") {
    TempDir dir("logs-history-bytes");
    const auto path = dir.write("app.log", numbered_lines(200));
    FileSource source(FileSourceOptions{path.string(), 16384, 2000ms});
    auto records = source.history(200, 64 * 1024);
    REQUIRE(records);
    REQUIRE(records->size() == 65);  // 65 * 1000 <= 65536 < 66 * 1000
    CHECK(text_bytes(*records) <= 64 * 1024);
    CHECK(records->front().text.starts_with("00135"));
    CHECK(records->back().text.starts_with("00199"));
}

TEST_CASE("history: the line bound still applies under the byte bound") {
    TempDir dir("logs-history-bytes");
    const auto path = dir.write("app.log", numbered_lines(200));
    FileSource source(FileSourceOptions{path.string(), 16384, 2000ms});
    auto records = source.history(3, 64 * 1024);
    REQUIRE(records);
    REQUIRE(records->size() == 3);
    CHECK(records->front().text.starts_with("00197"));
}

TEST_CASE("history: an old unterminated tail counts against the byte bound too") {
    TempDir dir("logs-history-bytes");
    const auto path = dir.write("app.log", numbered_lines(100) + "tail without newline");
    age_file(path, 60s);
    FileSource source(FileSourceOptions{path.string(), 16384, 2000ms});
    auto records = source.history(100, 10 * 1000);
    REQUIRE(records);
    CHECK(text_bytes(*records) <= 10 * 1000);
    REQUIRE_FALSE(records->empty());
    CHECK(records->back().text == "tail without newline");
    CHECK(records->size() == 10);  // the tail and the 9 newest lines
}
