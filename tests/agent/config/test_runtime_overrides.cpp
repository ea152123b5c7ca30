// Runtime changes (config_update): which keys, which values, which messages,
// all-or-nothing, merge, persistence format and applying over a Config.

#include <catch2/catch.hpp>

#include <string>

#include <fmt/format.h>

#include "agent/config/runtime_overrides.hpp"
#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

namespace {

RuntimeOverrides accepted(const std::string& json) {
    auto parsed = parse_runtime_overrides(json);
    INFO(json);
    if (!parsed) {
        INFO(parsed.error().message());
    }
    REQUIRE(parsed.has_value());
    return *parsed;
}

std::string rejected(const std::string& json) {
    auto parsed = parse_runtime_overrides(json);
    INFO(json);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind() == outpost::ErrorKind::invalid_input);
    return parsed.error().message();
}

// What the file loader says about `section.key: value`.
std::string file_message(const std::string& section, const std::string& key,
                         const std::string& value) {
    auto result = load_with(section + ":\n  " + key + ": " + value + "\n");
    auto issues = issues_of(result);
    return issue_at(issues, section + "." + key).message;
}

}  // namespace

TEST_CASE("runtime overrides: runtime keys are the three the protocol allows (alerts aside)") {
    CHECK(runtime_key_paths() ==
          std::vector<std::string>{"telemetry.interval", "health.interval", "logging.level"});
}

TEST_CASE("runtime overrides: each runtime key is accepted in the file's syntax") {
    CHECK(accepted(R"({"telemetry":{"interval":"30s"}})").telemetry_interval == 30s);
    CHECK(accepted(R"({"health":{"interval":"10m"}})").health_interval == 10min);
    CHECK(accepted(R"({"logging":{"level":"debug"}})").logging_level == LogLevel::debug);

    auto all = accepted(
        R"({"telemetry":{"interval":"1s"},"health":{"interval":"24h"},"logging":{"level":"error"}})");
    CHECK(all.telemetry_interval == 1s);
    CHECK(all.health_interval == 24h);
    CHECK(all.logging_level == LogLevel::error);
}

TEST_CASE("runtime overrides: only the given keys are set") {
    auto only = accepted(R"({"logging":{"level":"warn"}})");
    CHECK_FALSE(only.telemetry_interval);
    CHECK_FALSE(only.health_interval);
    CHECK(only.logging_level == LogLevel::warn);
}

TEST_CASE(
    "runtime overrides: an empty object or empty sections change nothing and are not errors") {
    CHECK(accepted("{}").empty());
    CHECK(accepted(R"({"telemetry":{},"logging":{}})").empty());
}

TEST_CASE("runtime overrides: an unknown key is refused, with the file loader's did-you-mean") {
    CHECK(rejected(R"({"telemetry":{"intervall":"30s"}})") ==
          "unknown key `telemetry.intervall`; did you mean `telemetry.interval`?");
    CHECK(rejected(R"({"telemtry":{"interval":"30s"}})") ==
          "unknown key `telemtry`; did you mean `telemetry`?");
    // The right key in the wrong section.
    CHECK(
        rejected(R"({"logging":{"interval":"30s"}})").find("did you mean `telemetry.interval`?") !=
        std::string::npos);
    CHECK(rejected(R"({"zzzzzz":{}})").starts_with("unknown key `zzzzzz`"));
}

TEST_CASE("runtime overrides: a key of the schema that is not runtime-changeable is refused") {
    CHECK(rejected(R"({"server":{"url":"wss://other.example.com/v1/agent"}})") ==
          "`server.url` cannot be changed at runtime");
    CHECK(rejected(R"({"logging":{"format":"json"}})") ==
          "`logging.format` cannot be changed at runtime");
    CHECK(rejected(R"({"executor":{"commands":[]}})") ==
          "`executor.commands` cannot be changed at runtime");
    CHECK(rejected(R"({"server":"x"})") == "`server` cannot be changed at runtime");
}

TEST_CASE("runtime overrides: an invalid value gets the file loader's message, naming the key") {
    const auto reason = rejected(R"({"telemetry":{"interval":"5 minutes"}})");
    CHECK(reason == "`telemetry.interval`: " + file_message("telemetry", "interval", "5 minutes"));
    CHECK(reason.find("expected a duration from 1s to 1d") != std::string::npos);

    CHECK(rejected(R"({"logging":{"level":"verbose"}})") ==
          "`logging.level`: " + file_message("logging", "level", "verbose"));
    CHECK(rejected(R"({"logging":{"level":"debg"}})").find("did you mean `debug`?") !=
          std::string::npos);
}

TEST_CASE("runtime overrides: values outside the schema's range are refused like in the file") {
    // telemetry.interval: 1s..24h, health.interval: 10s..24h (schema_sections.cpp).
    CHECK(rejected(R"({"telemetry":{"interval":"500ms"}})") ==
          "`telemetry.interval`: " + file_message("telemetry", "interval", "500ms"));
    CHECK(rejected(R"({"telemetry":{"interval":"25h"}})").find("above the maximum 1d") !=
          std::string::npos);
    CHECK(rejected(R"({"health":{"interval":"5s"}})") ==
          "`health.interval`: " + file_message("health", "interval", "5s"));
    CHECK(accepted(R"({"health":{"interval":"10s"}})").health_interval == 10s);
}

TEST_CASE("runtime overrides: a value of the wrong JSON type is refused") {
    const auto number = rejected(R"({"telemetry":{"interval":30}})");
    CHECK(number.starts_with("`telemetry.interval`: expected a JSON string"));
    CHECK(number.find("duration 1s..1d") != std::string::npos);
    CHECK(number.ends_with("found a number"));
    CHECK(rejected(R"({"logging":{"level":true}})").ends_with("found a boolean"));
    CHECK(rejected(R"({"logging":{"level":null}})").ends_with("found null"));
    CHECK(rejected(R"({"logging":{"level":["debug"]}})").ends_with("found an array"));
    CHECK(rejected(R"({"telemetry":"30s"})") ==
          "`telemetry`: expected a map of keys, found a string");
    CHECK(rejected(R"(["telemetry"])") ==
          "config: expected an object shaped like the config file, found an array");
    CHECK(rejected("{").starts_with("config: not valid JSON"));
}

TEST_CASE("runtime overrides: alerts are a list of rules (tests/agent/alerts has the rest)") {
    CHECK(rejected(R"({"alerts":"off"})") == "`alerts`: expected a list of rules, found a string");
    auto off = parse_runtime_overrides(R"({"alerts":[]})");
    REQUIRE(off);
    REQUIRE(off->alerts);
    CHECK(off->alerts->rules.empty());
}

TEST_CASE("runtime overrides: duplicate keys are refused") {
    CHECK(rejected(R"({"logging":{"level":"debug","level":"info"}})") ==
          "`logging.level`: duplicate key");
    CHECK(rejected(R"({"logging":{},"logging":{}})") == "`logging`: duplicate key");
}

TEST_CASE(
    "runtime overrides: all-or-nothing: one bad key and nothing is returned, every problem is "
    "listed") {
    const auto reason = rejected(
        R"({"telemetry":{"interval":"30s"},"logging":{"level":"debug"},"server":{"url":"x"},"health":{"interval":"1s"}})");
    CHECK(reason.find("`server.url` cannot be changed at runtime") != std::string::npos);
    CHECK(reason.find("`health.interval`: expected") != std::string::npos);
    CHECK(reason.find("; ") != std::string::npos);

    // accept_config_update persists nothing and keeps the current set.
    RuntimeOverrides current;
    current.logging_level = LogLevel::warn;
    int persisted = 0;
    auto result = accept_config_update(
        current, R"({"logging":{"level":"debug"},"telemetry":{"interval":"0s"}})",
        [&](std::string_view) -> outpost::Expected<void> {
            ++persisted;
            return {};
        });
    CHECK_FALSE(result.has_value());
    CHECK(persisted == 0);
}

TEST_CASE("runtime overrides: merge: the update's set keys win, the rest stay") {
    RuntimeOverrides base;
    base.telemetry_interval = 30s;
    base.logging_level = LogLevel::debug;
    RuntimeOverrides update;
    update.logging_level = LogLevel::error;
    update.health_interval = 1min;
    auto merged = merge(base, update);
    CHECK(merged.telemetry_interval == 30s);
    CHECK(merged.health_interval == 1min);
    CHECK(merged.logging_level == LogLevel::error);
    CHECK(merge(base, RuntimeOverrides{}) == base);
    CHECK(merge(RuntimeOverrides{}, update) == update);
}

TEST_CASE(
    "runtime overrides: to_json writes the file's syntax and parses back to the same overrides") {
    CHECK(to_json(RuntimeOverrides{}) == "{}");
    RuntimeOverrides all;
    all.telemetry_interval = 90s;
    all.health_interval = 2h;
    all.logging_level = LogLevel::trace;
    CHECK(
        to_json(all) ==
        R"({"telemetry":{"interval":"90s"},"health":{"interval":"2h"},"logging":{"level":"trace"}})");
    CHECK(accepted(to_json(all)) == all);

    for (auto level :
         {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
        RuntimeOverrides one;
        one.logging_level = level;
        CHECK(accepted(to_json(one)) == one);
    }
    RuntimeOverrides odd;
    odd.health_interval = 1500ms;  // not a whole second: written in ms
    CHECK(to_json(odd) == R"({"health":{"interval":"1500ms"}})");
}

TEST_CASE("runtime overrides: apply replaces only the overridden values of a loaded Config") {
    auto loaded =
        load_with("telemetry:\n  interval: 60s\nlogging:\n  level: info\n  format: json\n");
    REQUIRE(loaded.has_value());
    RuntimeOverrides overrides;
    overrides.telemetry_interval = 15s;
    overrides.logging_level = LogLevel::debug;
    const Config applied = apply(*loaded, overrides);
    CHECK(applied.telemetry.interval == 15s);
    CHECK(applied.logging.level == LogLevel::debug);
    CHECK(applied.logging.format == LogFormat::json);           // file value kept
    CHECK(applied.health.interval == loaded->health.interval);  // not overridden
    CHECK(applied.server.url == loaded->server.url);
    CHECK(apply(*loaded, RuntimeOverrides{}).telemetry.interval == 60s);
}

TEST_CASE(
    "runtime overrides: accept_config_update merges, persists before returning, and skips empty "
    "updates") {
    RuntimeOverrides current;
    current.telemetry_interval = 30s;
    std::vector<std::string> writes;
    const PersistOverrides persist = [&](std::string_view json) -> outpost::Expected<void> {
        writes.emplace_back(json);
        return {};
    };
    auto next = accept_config_update(current, R"({"logging":{"level":"debug"}})", persist);
    REQUIRE(next.has_value());
    CHECK(next->telemetry_interval == 30s);
    CHECK(next->logging_level == LogLevel::debug);
    REQUIRE(writes.size() == 1);
    CHECK(writes[0] == R"({"telemetry":{"interval":"30s"},"logging":{"level":"debug"}})");

    auto same = accept_config_update(*next, "{}", persist);
    REQUIRE(same.has_value());
    CHECK(*same == *next);
    CHECK(writes.size() == 1);  // nothing to persist

    auto failed = accept_config_update(current, R"({"logging":{"level":"debug"}})",
                                       [](std::string_view) -> outpost::Expected<void> {
                                           return outpost::fail(outpost::ErrorKind::io,
                                                                "journal unavailable");
                                       });
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().message() == "journal unavailable");
    CHECK(failed.error().kind() == outpost::ErrorKind::io);  // the persist error as it came
}

TEST_CASE("runtime overrides: the reason stays short however many problems there are") {
    std::string json = "{";
    for (int i = 0; i < 200; ++i) {
        json +=
            fmt::format("{}\"unknown_section_{}_{}\":{{}}", i ? "," : "", i, std::string(100, 'x'));
    }
    json += "}";
    const auto reason = rejected(json);
    CHECK(reason.size() < 1200);
    CHECK(reason.find("more problems not shown") != std::string::npos);
}

TEST_CASE("runtime overrides: a dotted key path instead of nested sections is explained") {
    CHECK(
        rejected(R"({"telemetry.interval":"30s"})") ==
        R"(unknown key `telemetry.interval`; nest the sections as in the file: {"telemetry": {"interval": ..}})");
}
