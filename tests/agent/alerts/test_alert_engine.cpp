// The engine on synthetic series: one state machine per rule and subject,
// `firing` and `resolved` once per transition, hysteresis, gaps, wildcard
// subjects, rules changed and removed while they fire.

#include <catch2/catch.hpp>

#include "agent/alerts/alert_id.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "alert_test_support.hpp"

namespace outpost::alerts::test {
namespace {

using protocol::outbound::AlertState;

struct Counts {
    int firing = 0;
    int resolved = 0;
};

Counts count(const AlertEngine::Alerts& alerts) {
    Counts counts;
    for (const auto& alert : alerts) {
        (alert.state == AlertState::firing ? counts.firing : counts.resolved)++;
    }
    return counts;
}

}  // namespace

TEST_CASE("a rule fires once after its for-duration and resolves once", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90, 5min)}));
    TimePoint now = kT0;
    CHECK(feed(engine, sample(95), now).empty());  // pending from kT0
    for (int minute = 1; minute < 5; ++minute) {
        CHECK(feed(engine, sample(96), now + minute * 1min).empty());
    }
    const auto fired = feed(engine, sample(97), now + 5min);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].state == AlertState::firing);
    CHECK(fired[0].rule == "cpu_high");
    CHECK(fired[0].value == 97);
    CHECK(fired[0].threshold == 90);
    CHECK(fired[0].since == protocol::format_rfc3339(kT0));  // when it began to hold
    CHECK(fired[0].alert_id == alert_id("cpu_high", ""));
    CHECK(fired[0].message == "cpu_high: system.cpu.usage_percent is 97 (threshold 90)");
    CHECK(feed(engine, sample(99), now + 6min).empty());  // still firing: nothing new
    const auto resolved = feed(engine, sample(50), now + 7min);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].state == AlertState::resolved);
    CHECK(resolved[0].alert_id == fired[0].alert_id);
    CHECK(resolved[0].value == 50);
    CHECK(resolved[0].since == fired[0].since);
    CHECK(feed(engine, sample(50), now + 8min).empty());
    CHECK(engine.states().empty());
}

TEST_CASE("a condition that breaks while pending sends nothing", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90, 5min)}));
    CHECK(feed(engine, sample(95), kT0).empty());
    CHECK(feed(engine, sample(80), kT0 + 4min).empty());
    CHECK(engine.states().empty());
    // Holding again starts the for-duration from scratch.
    CHECK(feed(engine, sample(95), kT0 + 5min).empty());
    CHECK(feed(engine, sample(95), kT0 + 9min).empty());
    CHECK(count(feed(engine, sample(95), kT0 + 10min)).firing == 1);
}

TEST_CASE("flapping around the threshold does not storm (hysteresis)", "[alerts][engine]") {
    // Threshold 90, clear 80: 1000 samples alternating 91 / 89 fire once.
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90, 0ms, 80.0)}));
    Counts total;
    for (int i = 0; i < 1000; ++i) {
        const auto alerts = feed(engine, sample(i % 2 == 0 ? 91 : 89), kT0 + i * 10s);
        total.firing += count(alerts).firing;
        total.resolved += count(alerts).resolved;
    }
    CHECK(total.firing == 1);
    CHECK(total.resolved == 0);
    CHECK(count(feed(engine, sample(80), kT0 + 10000s)).resolved == 1);  // at clear: resolves
}

TEST_CASE("flapping shorter than the for-duration never fires", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90, 5min)}));
    int sent = 0;
    for (int i = 0; i < 1000; ++i) {
        sent += static_cast<int>(feed(engine, sample(i % 4 == 3 ? 50 : 95), kT0 + i * 1min).size());
    }
    CHECK(sent == 0);
}

TEST_CASE("without hysteresis every crossing is one transition, never more", "[alerts][engine]") {
    // clear = threshold and no for-duration: each crossing is a real
    // transition, each sent exactly once.
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90)}));
    Counts total;
    for (int i = 0; i < 10; ++i) {
        const auto alerts = feed(engine, sample(i % 2 == 0 ? 91 : 89), kT0 + i * 10s);
        total.firing += count(alerts).firing;
        total.resolved += count(alerts).resolved;
    }
    CHECK(total.firing == 5);
    CHECK(total.resolved == 5);
}

TEST_CASE("the other operators and their clear side", "[alerts][engine]") {
    auto low = rule("disk_free_low", "system.cpu.usage_percent", 10, 0ms, 20.0);
    low.op = config::AlertOperator::less;
    auto at_least = rule("at_least", "system.cpu.usage_percent", 50);
    at_least.op = config::AlertOperator::greater_or_equal;
    AlertEngine engine(compiled({low, at_least}));
    CHECK(count(feed(engine, sample(5), kT0)).firing == 1);            // 5 < 10
    CHECK(feed(engine, sample(15), kT0 + 1min).empty());               // < 20: still firing
    CHECK(count(feed(engine, sample(50), kT0 + 2min)).resolved == 1);  // and at_least fires
    CHECK(engine.states().size() == 1);
    CHECK(engine.states()[0].rule == "at_least");
}

TEST_CASE("the first sample's absent value is a gap, not a zero", "[alerts][engine]") {
    auto low = rule("cpu_idle", "system.cpu.usage_percent", 1);
    low.op = config::AlertOperator::less;  // a zero would fire this
    AlertEngine engine(compiled({low}));
    CHECK(feed(engine, sample(std::nullopt), kT0).empty());
    CHECK(engine.states().empty());
    // And a disk whose statvfs failed has zeros that are not readings.
    auto empty_disk = rule("disk_empty", "system.disks[*].used_percent", 1);
    empty_disk.op = config::AlertOperator::less;
    AlertEngine disks(compiled({empty_disk}));
    CHECK(feed(disks, sample(50, {{"/nfs", 0, true}}), kT0).empty());
    CHECK(disks.states().empty());
}

TEST_CASE("a short gap keeps the state, a long one resolves", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90)}),
                       EngineOptions{.max_missed_samples = 3});
    CHECK(count(feed(engine, sample(95), kT0)).firing == 1);
    for (int i = 1; i <= 3; ++i) {
        CHECK(feed(engine, sample(std::nullopt), kT0 + i * 1min).empty());
    }
    CHECK(feed(engine, sample(96), kT0 + 4min).empty());  // back: still the same alert
    for (int i = 5; i <= 7; ++i) {
        CHECK(feed(engine, sample(std::nullopt), kT0 + i * 1min).empty());
    }
    const auto resolved = feed(engine, sample(std::nullopt), kT0 + 8min);  // the 4th missed
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].state == AlertState::resolved);
    CHECK(resolved[0].value == 96);  // the last value read
    CHECK_THAT(resolved[0].message, Catch::Contains("no data for 4 samples"));
    CHECK(engine.states().empty());
}

TEST_CASE("a pending state keeps its start through a short gap", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90, 2min)}));
    CHECK(feed(engine, sample(95), kT0).empty());
    CHECK(feed(engine, sample(std::nullopt), kT0 + 1min).empty());
    const auto fired = feed(engine, sample(95), kT0 + 2min);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].since == protocol::format_rfc3339(kT0));
}

TEST_CASE("a wildcard path fires one alert per subject", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("disk_full", "system.disks[*].used_percent", 80)}));
    const auto fired = feed(engine, sample(10, {{"/", 50}, {"/data", 85}, {"/var", 90}}), kT0);
    REQUIRE(fired.size() == 2);
    CHECK(fired[0].alert_id == alert_id("disk_full", "mount=/data"));
    CHECK(fired[1].alert_id == alert_id("disk_full", "mount=/var"));
    CHECK(fired[0].alert_id != fired[1].alert_id);
    CHECK(fired[0].message ==
          "disk_full: system.disks[*].used_percent (mount=/data) is 85 "
          "(threshold 80)");
    // /data drops below; /var stays; / rises: one resolve, one fire.
    const auto next =
        feed(engine, sample(10, {{"/", 81}, {"/data", 70}, {"/var", 90}}), kT0 + 1min);
    REQUIRE(next.size() == 2);
    CHECK(next[0].state == AlertState::firing);
    CHECK(next[0].alert_id == alert_id("disk_full", "mount=/"));
    CHECK(next[1].state == AlertState::resolved);
    CHECK(next[1].alert_id == alert_id("disk_full", "mount=/data"));
}

TEST_CASE("a disk unmounted while its alert fires resolves after the gap limit",
          "[alerts][engine]") {
    AlertEngine engine(compiled({rule("disk_full", "system.disks[*].used_percent", 80)}),
                       EngineOptions{.max_missed_samples = 2});
    CHECK(count(feed(engine, sample(10, {{"/", 50}, {"/mnt/usb", 95}}), kT0)).firing == 1);
    // Gone from the list (unmounted, or the collector failed): not at once.
    CHECK(feed(engine, sample(10, {{"/", 50}}), kT0 + 1min).empty());
    CHECK(feed(engine, sample(10, {{"/", 50}}), kT0 + 2min).empty());
    const auto resolved = feed(engine, sample(10, {{"/", 50}}), kT0 + 3min);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].alert_id == alert_id("disk_full", "mount=/mnt/usb"));
    CHECK(resolved[0].state == AlertState::resolved);
    // Mounted again and still full: a new alert, same id.
    const auto again = feed(engine, sample(10, {{"/", 50}, {"/mnt/usb", 95}}), kT0 + 4min);
    REQUIRE(again.size() == 1);
    CHECK(again[0].state == AlertState::firing);
    CHECK(again[0].alert_id == resolved[0].alert_id);
}

TEST_CASE("a selector that matches nothing is a gap for its one subject", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("root_full", "system.disks[mount=/].used_percent", 80)}),
                       EngineOptions{.max_missed_samples = 1});
    const auto fired = feed(engine, sample(10, {{"/", 90}, {"/data", 10}}), kT0);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].alert_id == alert_id("root_full", "mount=/"));
    CHECK(feed(engine, sample(10, {{"/data", 10}}), kT0 + 1min).empty());
    CHECK(count(feed(engine, sample(10, {{"/data", 10}}), kT0 + 2min)).resolved == 1);
}

TEST_CASE("a rule changed while it fires resolves, then is evaluated afresh", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90)}));
    CHECK(count(feed(engine, sample(95), kT0)).firing == 1);
    const auto changed =
        engine.set_rules(compiled({rule("cpu_high", "system.cpu.usage_percent", 80, 2min)}));
    REQUIRE(changed.size() == 1);
    CHECK(changed[0].state == AlertState::resolved);
    CHECK(changed[0].threshold == 90);  // under the old definition
    CHECK_THAT(changed[0].message, Catch::Contains("the rule was changed"));
    // The new definition's for-duration starts from the next sample.
    CHECK(feed(engine, sample(95), kT0 + 1min).empty());
    const auto refired = feed(engine, sample(95), kT0 + 3min);
    REQUIRE(refired.size() == 1);
    CHECK(refired[0].threshold == 80);
    CHECK(refired[0].since == protocol::format_rfc3339(kT0 + 1min));
    CHECK(refired[0].alert_id == changed[0].alert_id);
}

TEST_CASE("an unchanged rule keeps its state across set_rules", "[alerts][engine]") {
    const auto cpu = rule("cpu_high", "system.cpu.usage_percent", 90);
    AlertEngine engine(compiled({cpu}));
    CHECK(count(feed(engine, sample(95), kT0)).firing == 1);
    CHECK(engine.set_rules(compiled({rule("other", "system.cpu.usage_percent", 99), cpu})).empty());
    CHECK(feed(engine, sample(95), kT0 + 1min).empty());
}

TEST_CASE("a removed rule resolves its alerts", "[alerts][engine]") {
    AlertEngine engine(compiled({rule("disk_full", "system.disks[*].used_percent", 80),
                                 rule("cpu_high", "system.cpu.usage_percent", 90)}));
    CHECK(count(feed(engine, sample(95, {{"/", 90}, {"/data", 90}}), kT0)).firing == 3);
    const auto removed =
        engine.set_rules(compiled({rule("cpu_high", "system.cpu.usage_percent", 90)}));
    CHECK(count(removed).resolved == 2);
    for (const auto& alert : removed) {
        CHECK(alert.rule == "disk_full");
        CHECK_THAT(alert.message, Catch::Contains("the rule was removed"));
    }
    CHECK(engine.set_rules({}).size() == 1);  // an empty list: alerting off
    CHECK(engine.states().empty());
}

TEST_CASE("a restored firing state is not announced again, and its resolve is sent",
          "[alerts][engine]") {
    std::vector<SubjectState> saved;
    {
        AlertEngine engine(compiled({rule("cpu_high", "system.cpu.usage_percent", 90)}));
        CHECK(count(feed(engine, sample(95), kT0)).firing == 1);
        saved = engine.states();
    }
    AlertEngine restarted(compiled({rule("cpu_high", "system.cpu.usage_percent", 90)}));
    CHECK(restarted.restore(saved).empty());
    CHECK(feed(restarted, sample(97), kT0 + 1h).empty());
    const auto resolved = feed(restarted, sample(20), kT0 + 2h);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].state == AlertState::resolved);
    CHECK(resolved[0].since == protocol::format_rfc3339(kT0));
    // A rule edited while the agent was down resolves at start instead.
    AlertEngine edited(compiled({rule("cpu_high", "system.cpu.usage_percent", 95)}));
    const auto at_start = edited.restore(saved);
    REQUIRE(at_start.size() == 1);
    CHECK(at_start[0].state == AlertState::resolved);
    CHECK(at_start[0].threshold == 90);
}

TEST_CASE("alert ids are stable and documented", "[alerts][engine]") {
    // docs/alerts.md: `a-` + FNV-1a 64 of rule, NUL, subject. Fixed values
    // pin the function: changing it would re-announce every firing alert.
    CHECK(alert_id("", "") == "a-af63bd4c8601b7df");
    CHECK(alert_id("disk_full", "mount=/") == alert_id("disk_full", "mount=/"));
    CHECK(alert_id("disk_full", "mount=/") != alert_id("disk_full", "mount=/data"));
    CHECK(alert_id("ab", "c") != alert_id("a", "bc"));
}

}  // namespace outpost::alerts::test
