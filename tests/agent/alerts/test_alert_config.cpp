// The `alerts` config list: defaults, an explicit empty list, validation
// errors that name the rule and the key, and config_update's `alerts`.

#include <catch2/catch.hpp>

#include "agent/config/loader.hpp"
#include "agent/config/runtime_overrides.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kServer = "server:\n  url: wss://hub.example.com/v1/agent\n";

LoadResult load(std::string_view extra) {
    return load_config_text(std::string(kServer) + std::string(extra), "agent.yaml");
}

std::string issues_of(std::string_view extra) {
    auto result = load(extra);
    REQUIRE_FALSE(result);
    std::string out;
    for (const auto& issue : result.error()) out += format_issue(issue) + "\n";
    return out;
}

}  // namespace

TEST_CASE("without an alerts key the original design's rules apply", "[alerts][config]") {
    auto config = load("");
    REQUIRE(config);
    CHECK(config->alerts.builtin);
    REQUIRE(config->alerts.rules.size() == 3);
    const auto& cpu = config->alerts.rules[0];
    CHECK(cpu.name == "cpu_high");
    CHECK(cpu.metric == "system.cpu.usage_percent");
    CHECK(cpu.op == AlertOperator::greater);
    CHECK(cpu.threshold == 90);
    CHECK(cpu.for_duration == 5min);
    CHECK(cpu.severity == AlertSeverity::critical);
    const auto& disk = config->alerts.rules[1];
    CHECK(disk.metric == "system.disks[*].used_percent");
    CHECK(disk.threshold == 80);
    CHECK(disk.severity == AlertSeverity::warning);
    const auto& memory = config->alerts.rules[2];
    CHECK(memory.metric == "system.memory.used_percent");
    CHECK(memory.threshold == 90);
    CHECK(memory.severity == AlertSeverity::warning);
    // `alerts:` with no value means "not set", like every other key.
    auto empty_key = load("alerts:\n");
    REQUIRE(empty_key);
    CHECK(empty_key->alerts.rules.size() == 3);
}

TEST_CASE("an explicit empty list turns alerting off", "[alerts][config]") {
    auto config = load("alerts: []\n");
    REQUIRE(config);
    CHECK_FALSE(config->alerts.builtin);
    CHECK(config->alerts.rules.empty());
}

TEST_CASE("a rule list loads every key", "[alerts][config]") {
    auto config = load(R"(alerts:
  - name: root_full
    metric: system.disks[mount=/].used_percent
    operator: ">="
    threshold: 95.5
    for: 2m
    severity: critical
    clear: 90
    message: "Root disk{subject} at {value}%"
  - name: web_restarts
    metric: containers[name=web].restarts
    operator: ">"
    threshold: 3
)");
    if (!config) FAIL(format_issue(config.error().front()));
    REQUIRE(config->alerts.rules.size() == 2);
    const auto& root = config->alerts.rules[0];
    CHECK(root.op == AlertOperator::greater_or_equal);
    CHECK(root.threshold == 95.5);
    CHECK(root.for_duration == 2min);
    CHECK(root.severity == AlertSeverity::critical);
    CHECK(root.clear == 90.0);
    CHECK(root.message == "Root disk{subject} at {value}%");
    const auto& web = config->alerts.rules[1];
    CHECK(web.for_duration == 0ms);
    CHECK(web.severity == AlertSeverity::warning);
    CHECK_FALSE(web.clear);
    CHECK_FALSE(web.message);
}

TEST_CASE("alert rule errors name the rule and the key", "[alerts][config]") {
    const auto issues = issues_of(R"(alerts:
  - name: cpu
    metric: system.cpu.usge_percent
    operator: ">"
    threshold: high
  - name: disk
    metric: system.disks[*].used_percent
    operator: "=>"
    threshold: 80
    severity: page
    clear: 85
  - metric: system.load.load1
    operator: "<"
    threshold: 1
    clear: 0.5
    message: "{load}"
    bogus: 1
  - name: cpu
    metric: system.load.load5
    operator: ">"
    threshold: 4
)");
    INFO(issues);
    CHECK_THAT(issues, Catch::Contains("agent.yaml:5:13: alerts[cpu].metric: expected a metric "
                                       "path"));
    CHECK_THAT(issues, Catch::Contains("`system.cpu` has no field `usge_percent`"));
    CHECK_THAT(issues, Catch::Contains("alerts[cpu].threshold: expected a number"));
    CHECK_THAT(issues, Catch::Contains("alerts[disk].operator: expected one of >, >=, <, <="));
    CHECK_THAT(issues, Catch::Contains("alerts[disk].severity: expected one of critical, warning"));
    // The third has no name: its index names it.
    CHECK_THAT(issues, Catch::Contains("alerts[2].name: required key is missing"));
    CHECK_THAT(issues, !Catch::Contains("alerts[disk].clear"));  // its operator is the problem
    CHECK_THAT(issues, Catch::Contains("alerts[2].clear: clear (0.5) must be at or above the "
                                       "threshold (1)"));
    CHECK_THAT(issues, Catch::Contains("alerts[2].message: expected a message"));
    CHECK_THAT(issues, Catch::Contains("unknown placeholder `{load}`"));
    CHECK_THAT(issues, Catch::Contains("alerts[2].bogus: unknown key"));
    CHECK_THAT(issues, Catch::Contains("alerts[cpu].name: a rule named `cpu` is given twice"));
}

TEST_CASE("a clear threshold on the firing side is refused", "[alerts][config]") {
    const auto issues = issues_of(R"(alerts:
  - name: disk
    metric: system.disks[*].used_percent
    operator: ">"
    threshold: 80
    clear: 85
)");
    CHECK_THAT(issues, Catch::Contains("alerts[disk].clear: clear (85) must be at or below the "
                                       "threshold (80)"));
    CHECK_THAT(issues_of("alerts: {}\n"), Catch::Contains("alerts: expected a list of maps"));
    CHECK_THAT(issues_of("alerts:\n  - 3\n"), Catch::Contains("alerts[0]: expected a map"));
}

TEST_CASE("config_update alerts are validated like the file", "[alerts][config]") {
    auto update = parse_runtime_overrides(
        R"({"alerts":[{"name":"load","metric":"system.load.load1","operator":">",)"
        R"("threshold":4,"for":"1m","clear":"3.5"}]})");
    if (!update) FAIL(update.error().message());
    REQUIRE(update->alerts);
    REQUIRE(update->alerts->rules.size() == 1);
    CHECK(update->alerts->rules[0].threshold == 4);  // a JSON number, as the file's `4`
    CHECK(update->alerts->rules[0].clear == 3.5);
    CHECK(update->alerts->rules[0].for_duration == 1min);

    auto bad = parse_runtime_overrides(
        R"({"alerts":[{"name":"load","metric":"system.lod.load1","operator":">","threshold":4}]})");
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message(),
               Catch::Contains("`alerts[load].metric`: expected a metric path"));
    auto not_list = parse_runtime_overrides(R"({"alerts":{"name":"x"}})");
    REQUIRE_FALSE(not_list);
    CHECK_THAT(not_list.error().message(),
               Catch::Contains("`alerts`: expected a list of rules, found an object"));
    // All-or-nothing: a good key beside a bad rule sets nothing.
    auto mixed =
        parse_runtime_overrides(R"({"telemetry":{"interval":"30s"},"alerts":[{"name":"x"}]})");
    REQUIRE_FALSE(mixed);
}

TEST_CASE("config_update alerts round-trip through the persisted form", "[alerts][config]") {
    auto update = parse_runtime_overrides(
        R"({"logging":{"level":"debug"},"alerts":[{"name":"load","metric":"system.load.load1",)"
        R"("operator":"<=","threshold":0.1,"severity":"info","clear":"0.30000000000000004",)"
        R"("message":"{rule} {{x}}"},{"name":"d","metric":"system.disks[*].used_percent",)"
        R"("operator":">","threshold":"80"}]})");
    if (!update) FAIL(update.error().message());
    const std::string persisted = to_json(*update);
    auto reread = parse_runtime_overrides(persisted);
    if (!reread) FAIL(reread.error().message() + " in " + persisted);
    CHECK(*reread == *update);
    // The empty list is kept as such: alerting stays off after a restart.
    auto off = parse_runtime_overrides(R"({"alerts":[]})");
    REQUIRE(off);
    REQUIRE(off->alerts);
    CHECK(to_json(*off) == R"({"alerts":[]})");
    CHECK(apply(Config{}, *off).alerts.rules.empty());
}

}  // namespace outpost::config
