// A record as the log_line it goes out as: cut lines, partial lines, the
// message-size guard, the drop marker.
#include <catch2/catch.hpp>

#include "agent/logs/streams/wire_lines.hpp"

using namespace outpost;
using namespace outpost::logs::streams;

namespace {
const logs::TimePoint kTs = logs::TimePoint{} + std::chrono::seconds(1'780'000'000);
}

TEST_CASE("a whole line goes out as it is, with its own time") {
    logs::LogRecord record{.text = "hello", .cut_bytes = 0, .ts = kTs, .partial = false};
    auto line = to_log_line("s1", record, 1000);
    CHECK(line.stream_id == "s1");
    CHECK(line.line == "hello");
    CHECK(line.ts == "2026-05-28T20:26:40.000Z");
    CHECK_FALSE(line.truncated);
    CHECK_FALSE(line.partial);
    CHECK_FALSE(line.dropped.has_value());
}

TEST_CASE("a line the source cut is marked with the bytes it lost") {
    logs::LogRecord record{.text = "abc", .cut_bytes = 4096, .ts = kTs, .partial = true};
    auto line = to_log_line("s1", record, 1000);
    CHECK(line.line == "abc [outpost: 4096 bytes cut]");
    CHECK(line.truncated);
    CHECK(line.partial);
}

TEST_CASE("a line too long for a message is cut further at a code point") {
    // "é" is two bytes: a limit of 4 keeps "aé" (3 bytes), never half of it.
    logs::LogRecord record{
        .text = "a\xC3\xA9\xC3\xA9", .cut_bytes = 1, .ts = kTs, .partial = false};
    auto line = to_log_line("s1", record, 4);
    CHECK(line.line == "a\xC3\xA9 [outpost: 3 bytes cut]");
    CHECK(line.truncated);
    CHECK(max_text_for(1024 * 1024) == (1024 * 1024 - 1024) / 6);
    CHECK(max_text_for(100) == 0);
}

TEST_CASE("the drop marker says how many lines and carries the number") {
    auto marker = drop_marker("s1", 42, kTs);
    CHECK(marker.line == "[outpost: 42 lines dropped]");
    REQUIRE(marker.dropped.has_value());
    CHECK(*marker.dropped == 42);
    CHECK_FALSE(marker.truncated);
}
