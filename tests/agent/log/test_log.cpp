#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/log/log.hpp"

namespace lg = outpost::log;

namespace {
std::vector<std::string> g_lines;
void capture(std::string_view line) {
    g_lines.emplace_back(line);
}

struct CaptureLogs {
    CaptureLogs(lg::Level level, lg::Format format) {
        g_lines.clear();
        lg::configure(level, format);
        lg::set_sink(capture);
    }
    ~CaptureLogs() {
        lg::set_sink(nullptr);
        lg::configure(lg::Level::info, lg::Format::text);
    }
};
}  // namespace

TEST_CASE("text records carry time, level, module and message on one line") {
    auto line = lg::format_record(lg::Level::warn, "transport", "line1\nline2", lg::Format::text,
                                  "2026-11-22T10:00:00.123Z");
    CHECK(line == "2026-11-22T10:00:00.123Z warn  transport: line1 line2\n");
}

TEST_CASE("json records are one escaped object per line") {
    // Line breaks become spaces and controls are written out, as in text.
    auto line = lg::format_record(lg::Level::error, "config", "bad \"x\"\n\x01", lg::Format::json,
                                  "2026-11-22T10:00:00.123Z");
    CHECK(line ==
          "{\"ts\":\"2026-11-22T10:00:00.123Z\",\"level\":\"error\",\"module\":\"config\","
          "\"msg\":\"bad \\\"x\\\" \\\\x01\"}\n");
}

TEST_CASE("no terminal control or invalid UTF-8 from a message reaches the log raw") {
    // What a server could put in an error message or a close reason: ESC
    // (a CSI sequence), C1 CSI as UTF-8 (U+009B), a bare 0x9B byte, a bidi
    // override and a truncated sequence.
    const std::string hostile =
        "closed: \x1b[2J\xc2\x9b"
        "31m \x9b"
        "0m \xe2\x80\xae x \xe2\x82";
    for (const auto format : {lg::Format::text, lg::Format::json}) {
        const auto line =
            lg::format_record(lg::Level::warn, "session", hostile, format, "2026-11-22T10:00:00Z");
        INFO(line);
        CHECK(line.find('\x1b') == std::string::npos);
        CHECK(line.find("\xc2\x9b") == std::string::npos);
        CHECK(line.find('\x9b') == std::string::npos);
        CHECK(line.find("\xe2\x80\xae") == std::string::npos);
        CHECK(line.find('\xe2') == std::string::npos);
        CHECK_THAT(line, Catch::Contains("x1b[2J") && Catch::Contains("u009b31m") &&
                             Catch::Contains("x9b0m") && Catch::Contains("u202e") &&
                             Catch::Contains("xe2") && Catch::Contains("x82"));
        // One record, one line.
        CHECK(line.find('\n') == line.size() - 1);
    }
}

TEST_CASE("records below the configured level are dropped") {
    CaptureLogs logs(lg::Level::warn, lg::Format::text);
    lg::info("m", "not shown {}", 1);
    lg::warn("m", "shown {}", 2);
    REQUIRE(g_lines.size() == 1);
    CHECK(g_lines[0].find("shown 2") != std::string::npos);
}

TEST_CASE("levels parse from their names only") {
    CHECK(lg::parse_level("debug") == lg::Level::debug);
    CHECK(lg::parse_level("warn") == lg::Level::warn);
    CHECK_FALSE(lg::parse_level("WARNING"));
    CHECK_FALSE(lg::parse_level(""));
}

TEST_CASE("redacted values never print their bytes") {
    CaptureLogs logs(lg::Level::trace, lg::Format::text);
    lg::info("auth", "token {}", lg::Redacted{"s3cr3t-value"});
    REQUIRE(g_lines.size() == 1);
    CHECK(g_lines[0].find("s3cr3t") == std::string::npos);
    CHECK(g_lines[0].find("<redacted 12 bytes>") != std::string::npos);
}

TEST_CASE("JWT-shaped strings and bearer values are scrubbed as a safety net") {
    std::string jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    CHECK(lg::scrub_secrets("sent " + jwt + " ok") == "sent [redacted-jwt] ok");
    CHECK(lg::scrub_secrets("Authorization: Bearer abc.def-123") ==
          "Authorization: Bearer [redacted]");
    CHECK(lg::scrub_secrets("bearer xyz") == "bearer [redacted]");
    CHECK(lg::scrub_secrets("no secrets here") == "no secrets here");
    CHECK(lg::scrub_secrets("eyJ only one part") == "eyJ only one part");
}
