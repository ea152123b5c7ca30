// Metric paths: the syntax, the shape check at config load, and resolution
// in real encoded samples.

#include <catch2/catch.hpp>

#include "agent/alerts/metric_resolve.hpp"
#include "alert_test_support.hpp"

namespace outpost::alerts::test {
namespace {

std::string error_of(std::string_view text) {
    auto checked = check_metric_path(text);
    REQUIRE_FALSE(checked);
    return checked.error().message();
}

std::vector<Reading> readings(std::string_view text, const protocol::outbound::Telemetry& t) {
    auto path = check_metric_path(text);
    REQUIRE(path);
    auto encoded = EncodedSample::of(t);
    REQUIRE(encoded);
    return resolve(*path, encoded->root());
}

}  // namespace

TEST_CASE("metric paths parse into steps and selectors", "[alerts][path]") {
    auto path = parse_metric_path("system.disks[mount=/var/lib.d].used_percent");
    REQUIRE(path);
    REQUIRE(path->steps.size() == 3);
    CHECK(path->steps[0].member == "system");
    CHECK(path->steps[1].member == "disks");
    REQUIRE(path->steps[1].selector);
    CHECK(path->steps[1].selector->kind == Selector::Kind::match);
    CHECK(path->steps[1].selector->key == "mount");
    CHECK(path->steps[1].selector->value == "/var/lib.d");  // dots inside a selector are text
    CHECK(path->steps[2].member == "used_percent");
    auto every = parse_metric_path("system.disks[*].used_percent");
    REQUIRE(every);
    CHECK(every->steps[1].selector->kind == Selector::Kind::every);
}

TEST_CASE("metric path syntax errors say where", "[alerts][path]") {
    for (const auto& [text, part] : std::vector<std::pair<std::string, std::string>>{
             {"", "empty"},
             {"system..cpu", "expected a field name"},
             {"system.cpu.", "expected a field name"},
             {"System.cpu", "expected a field name"},
             {"system.disks[mount=/", "unclosed `[`"},
             {"system.disks[]", "a selector is `[*]` or `[key=value]`"},
             {"system.disks[=/]", "empty selector key"},
             {"system.disks[mount=]", "empty selector value"},
             {"system.disks[mount=a\tb]", "control character"},
             {"system.disks[*]x", "unexpected `x`"},
             {std::string(300, 'a'), "over 256"},
         }) {
        INFO(text);
        auto parsed = parse_metric_path(text);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message(), Catch::Contains(part));
    }
}

TEST_CASE("metric paths are checked against the sample's shape", "[alerts][path]") {
    for (const char* good :
         {"system.cpu.usage_percent", "system.memory.used_percent",
          "system.memory.pressure.memory_some", "system.disks[mount=/].used_percent",
          "system.disks[*].inodes_used_percent",
          "system.network[interface=eth0].per_second.rx_drops", "system.processes.zombie",
          "system.cpu.per_core_percent[*]", "system.load.load1", "system.uptime_s",
          "containers[name=web].restarts", "containers[*].cpu_percent", "agent.outbox.dropped",
          "agent.rss_bytes", "agent.journal_bytes"}) {
        INFO(good);
        CHECK(check_metric_path(good));
    }
    CHECK_THAT(error_of("system.cpu.usge_percent"),
               Catch::Contains("`system.cpu` has no field `usge_percent` (it has: usage_percent"));
    CHECK_THAT(error_of("system.disks[device=/dev/sda].bogus"),
               Catch::Contains("`system.disks` has no field `bogus`"));
    CHECK_THAT(error_of("system.disks[label=root].used_percent"),
               Catch::Contains("the items of `system.disks` have no field `label`"));
    CHECK_THAT(error_of("system.disks.used_percent"), Catch::Contains("is not a section"));
    CHECK_THAT(error_of("system.cpu[*].usage_percent"), Catch::Contains("is not a list"));
    CHECK_THAT(error_of("system.disks[*].mount"), Catch::Contains("is a string, not a number"));
    CHECK_THAT(error_of("system.cpu"), Catch::Contains("is an object, not a number"));
    CHECK_THAT(error_of("nothing"), Catch::Contains("the sample has no field `nothing`"));
}

TEST_CASE("resolution gives subjects and values, and gaps for what is missing", "[alerts][path]") {
    const auto t = sample(42.5, {{"/", 10}, {"/data", 91.25}, {"/nfs", 0, true}});
    CHECK(readings("system.cpu.usage_percent", t) == std::vector<Reading>{{"", 42.5}});
    CHECK(readings("system.cpu.usage_percent", sample(std::nullopt)) ==
          std::vector<Reading>{{"", std::nullopt}});
    CHECK(readings("system.disks[*].used_percent", t) ==
          std::vector<Reading>{
              {"mount=/", 10}, {"mount=/data", 91.25}, {"mount=/nfs", std::nullopt}});
    CHECK(readings("system.disks[mount=/data].used_percent", t) ==
          std::vector<Reading>{{"mount=/data", 91.25}});
    CHECK(readings("system.disks[mount=/gone].used_percent", t) ==
          std::vector<Reading>{{"mount=/gone", std::nullopt}});
    // No memory section (the collector failed): one gap; a wildcard over an
    // absent list: no subjects at all.
    CHECK(readings("system.memory.used_percent", t) == std::vector<Reading>{{"", std::nullopt}});
    CHECK(readings("containers[*].restarts", t).empty());
    CHECK(readings("containers[name=web].restarts", t) ==
          std::vector<Reading>{{"name=web", std::nullopt}});
}

TEST_CASE("wildcards over numbers and nested lists name their subjects", "[alerts][path]") {
    auto t = sample(50);
    t.system.cpu->per_core_percent = {10, 99};
    CHECK(readings("system.cpu.per_core_percent[*]", t) ==
          std::vector<Reading>{{"[0]", 10}, {"[1]", 99}});
    protocol::outbound::ContainerStats web;
    web.name = "web";
    web.restarts = 3;
    t.containers.push_back(web);
    CHECK(readings("containers[name=web].restarts", t) == std::vector<Reading>{{"name=web", 3}});
    t.agent.outbox.dropped = 7;
    CHECK(readings("agent.outbox.dropped", t) == std::vector<Reading>{{"", 7}});
}

}  // namespace outpost::alerts::test
