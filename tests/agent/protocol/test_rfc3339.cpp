#include <chrono>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "agent/protocol/rfc3339.hpp"

using namespace std::chrono;
using outpost::protocol::format_rfc3339;
using outpost::protocol::parse_rfc3339;
using outpost::protocol::TimePoint;

namespace {

TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms = 0) {
    return TimePoint{sys_days{year{y} / month{mo} / day{d}}.time_since_epoch() + hours{h} +
                     minutes{mi} + seconds{s} + milliseconds{ms}};
}

}  // namespace

TEST_CASE("format_rfc3339 writes UTC with milliseconds") {
    CHECK(format_rfc3339(utc(2026, 11, 22, 10, 0, 0, 123)) == "2026-11-22T10:00:00.123Z");
    CHECK(format_rfc3339(utc(1970, 1, 1, 0, 0, 0)) == "1970-01-01T00:00:00.000Z");
    CHECK(format_rfc3339(utc(1969, 12, 31, 23, 59, 59, 999)) == "1969-12-31T23:59:59.999Z");
    CHECK(format_rfc3339(utc(2024, 2, 29, 23, 59, 59) + microseconds{999'999}) ==
          "2024-02-29T23:59:59.999Z");  // truncated, not rounded
    CHECK(outpost::protocol::now_rfc3339().size() == 24);
}

TEST_CASE("parse_rfc3339 accepts RFC 3339 date-times") {
    struct Row {
        const char* text;
        TimePoint expected;
    };
    const Row rows[] = {
        {"2026-11-22T10:00:00.123Z", utc(2026, 11, 22, 10, 0, 0, 123)},
        {"2026-11-22T10:00:00Z", utc(2026, 11, 22, 10, 0, 0)},
        {"2026-11-22t10:00:00z", utc(2026, 11, 22, 10, 0, 0)},
        {"2026-11-22T12:30:00+02:30", utc(2026, 11, 22, 10, 0, 0)},
        {"2026-11-22T00:00:00-05:00", utc(2026, 11, 22, 5, 0, 0)},
        {"2026-11-22T10:00:00.5Z", utc(2026, 11, 22, 10, 0, 0, 500)},
        {"2026-11-22T10:00:00.000000001Z", utc(2026, 11, 22, 10, 0, 0) + nanoseconds{1}},
        {"2026-11-22T10:00:00.1234567891234Z",
         utc(2026, 11, 22, 10, 0, 0) + nanoseconds{123456789}},
        {"2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0)},
        {"2016-12-31T23:59:60Z", utc(2017, 1, 1, 0, 0, 0)},
        {"1970-01-01T00:00:00Z", TimePoint{}},
    };
    for (const Row& row : rows) {
        INFO(row.text);
        const auto parsed = parse_rfc3339(row.text);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == row.expected);
    }
}

TEST_CASE("parse_rfc3339 rejects malformed input") {
    const char* rows[] = {
        "",
        "2026-11-22",
        "2026-11-22T10:00:00",   // no offset
        "2026-11-22 10:00:00Z",  // space separator
        "2026-11-22T10:00Z",     // no seconds
        "2026-13-01T00:00:00Z",  // month 13
        "2026-02-29T00:00:00Z",  // not a leap year
        "2026-04-31T00:00:00Z",  // April 31
        "2026-00-10T00:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T10:60:00Z",
        "2026-11-22T10:00:61Z",
        "2026-11-22T10:00:00.Z",     // empty fraction
        "2026-11-22T10:00:00+0200",  // offset without colon
        "2026-11-22T10:00:00+24:00",
        "2026-11-22T10:00:00+02:60",
        "2026-11-22T10:00:00Zjunk",
        "2026-11-22T10:00:00+02:00 ",
        " 2026-11-22T10:00:00Z",
        "26-11-22T10:00:00Z",
        "2026/11/22T10:00:00Z",
        "+2026-11-22T10:00:0Z",
        "9999-12-31T23:59:59Z",  // beyond the clock's range
        "0001-01-01T00:00:00Z",
    };
    for (const char* text : rows) {
        INFO(text);
        CHECK_FALSE(parse_rfc3339(text).has_value());
    }
}

TEST_CASE("format and parse round-trip") {
    const TimePoint t = time_point_cast<milliseconds>(system_clock::now());
    const auto parsed = parse_rfc3339(format_rfc3339(t));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == t);
}

// Each refusal names its reason, one row per check of the parser, so the
// steps it is made of keep their order and their texts.
TEST_CASE("parse_rfc3339 says why it refuses") {
    const std::pair<const char*, const char*> rows[] = {
        {"2026-11-22T10:00Z", "too short"},
        {"2026/11/22T10:00:00Z", "expected YYYY-MM-DDTHH:MM:SS"},
        {"2026-11-22 10:00:00Z", "expected YYYY-MM-DDTHH:MM:SS"},
        {"2026-02-29T00:00:00Z", "no such date"},
        {"2026-11-22T24:00:00Z", "time of day out of range"},
        {"2026-11-22T10:00:00.Z", "empty fraction"},
        {"2026-11-22T10:00:00.5", "missing time zone offset"},
        {"2026-11-22T10:00:00+0200", "malformed offset"},
        {"2026-11-22T10:00:00X", "malformed offset"},
        {"2026-11-22T10:00:00+24:00", "offset out of range"},
        {"2026-11-22T10:00:00Zjunk", "trailing characters"},
        {"9999-12-31T23:59:59Z", "outside the representable range"},
    };
    for (const auto& [text, why] : rows) {
        INFO(text);
        const auto parsed = parse_rfc3339(text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().message() == std::string("not an RFC 3339 date-time (") + why + ")");
    }
}
