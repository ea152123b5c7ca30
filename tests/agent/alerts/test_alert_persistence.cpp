// The alert states survive a restart through a real journal (SQLite file):
// a firing alert is not announced again, and a resolve after the restart is
// sent. Through AlertMonitor, as the agent drives it.

#include <catch2/catch.hpp>

#include "agent/alerts/alert_monitor.hpp"
#include "agent/alerts/alert_state_codec.hpp"
#include "agent/journal/journal.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "alert_test_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace outpost::alerts::test {
namespace {

using protocol::outbound::Alert;
using protocol::outbound::AlertState;

// A monitor over the journal at `path`, collecting what it sends.
struct Harness {
    journal::Journal journal;
    std::vector<Alert> sent;
    int firing_changes = 0;
    std::unique_ptr<AlertMonitor> monitor;

    Harness(const std::filesystem::path& path, const std::vector<config::AlertRule>& rules)
        : journal(open(path)) {
        monitor = std::make_unique<AlertMonitor>(
            rules,
            AlertMonitor::Hooks{
                .load = [this] { return journal.get(kAlertStateKey); },
                .save = [this](std::string_view text) { return journal.put(kAlertStateKey, text); },
                .send =
                    [this](Alert alert) {
                        sent.push_back(std::move(alert));
                        return true;
                    },
                .on_firing_changed = [this] { ++firing_changes; }});
    }

    static journal::Journal open(const std::filesystem::path& path) {
        auto opened = journal::Journal::open(path, journal::SyncMode::normal);
        REQUIRE(opened);
        return std::move(*opened);
    }
};

}  // namespace

TEST_CASE("a firing alert survives a restart and its resolve is sent after it",
          "[alerts][persistence]") {
    test_support::TempDir dir("alerts");
    const auto path = dir.file("journal.db");
    auto disk = rule("disk_full", "system.disks[*].used_percent", 80, 10min);
    disk.severity = protocol::outbound::Severity::warning;
    const std::vector<config::AlertRule> rules{
        rule("cpu_high", "system.cpu.usage_percent", 90, 0ms, 80.0), disk};
    {
        Harness first(path, rules);
        first.monitor->on_sample(sample(95, {{"/", 85}}), kT0);
        REQUIRE(first.sent.size() == 1);
        CHECK(first.sent[0].state == AlertState::firing);
        CHECK(first.firing_changes == 1);
        CHECK(first.monitor->firing().size() == 1);
        REQUIRE(first.monitor->critical_reason());
        CHECK_THAT(*first.monitor->critical_reason(), Catch::Contains("critical alert cpu_high"));
    }  // the agent stops; the journal file stays
    Harness second(path, rules);
    CHECK(second.sent.empty());  // not announced again
    REQUIRE(second.monitor->firing().size() == 1);
    CHECK(second.monitor->firing()[0].rule == "cpu_high");
    second.monitor->on_sample(sample(97, {{"/", 86}}), kT0 + 5min);
    CHECK(second.sent.empty());
    // The disk's pending state kept its start: it fires 10 min after kT0.
    second.monitor->on_sample(sample(70, {{"/", 86}}), kT0 + 10min);
    REQUIRE(second.sent.size() == 2);
    CHECK(second.sent[0].rule == "cpu_high");
    CHECK(second.sent[0].state == AlertState::resolved);
    CHECK(second.sent[1].rule == "disk_full");
    CHECK(second.sent[1].state == AlertState::firing);
    CHECK(second.sent[1].since == protocol::format_rfc3339(kT0));
    CHECK_FALSE(second.monitor->critical_reason());  // only a warning fires now
}

TEST_CASE("a rule removed while the agent was down resolves at start", "[alerts][persistence]") {
    test_support::TempDir dir("alerts");
    const auto path = dir.file("journal.db");
    {
        Harness first(path, {rule("cpu_high", "system.cpu.usage_percent", 90)});
        first.monitor->on_sample(sample(95), kT0);
        REQUIRE(first.sent.size() == 1);
    }
    {
        Harness second(path, {});
        REQUIRE(second.sent.size() == 1);
        CHECK(second.sent[0].state == AlertState::resolved);
        CHECK(second.sent[0].rule == "cpu_high");
        CHECK(second.monitor->firing().empty());
    }
    // And that is saved: a third start sends nothing.
    Harness third(path, {});
    CHECK(third.sent.empty());
}

TEST_CASE("unreadable saved states are ignored, not fatal", "[alerts][persistence]") {
    test_support::TempDir dir("alerts");
    const auto path = dir.file("journal.db");
    {
        auto journal = Harness::open(path);
        REQUIRE(journal.put(kAlertStateKey, R"({"v":1,"states":[{"rule":"x"}]})"));
    }
    Harness harness(path, {rule("cpu_high", "system.cpu.usage_percent", 90)});
    CHECK(harness.monitor->firing().empty());
    harness.monitor->on_sample(sample(95), kT0);
    CHECK(harness.sent.size() == 1);
}

TEST_CASE("the state codec round-trips every field", "[alerts][persistence]") {
    SubjectState state{.rule = "disk_full",
                       .subject = "mount=/data \"x\"",
                       .phase = Phase::firing,
                       .since = kT0 + 123ms,
                       .value = 91.25,
                       .missed = 2,
                       .fingerprint = "a\nb",
                       .severity = protocol::outbound::Severity::info,
                       .threshold = 80.5,
                       .message = "disk é full"};
    SubjectState pending;
    pending.rule = "p";
    pending.since = kT0;
    auto decoded = decode_states(encode_states({state, pending}));
    REQUIRE(decoded);
    REQUIRE(decoded->size() == 2);
    CHECK((*decoded)[0] == state);
    CHECK((*decoded)[1].phase == Phase::pending);
    CHECK_FALSE(decode_states("[]"));
    CHECK_FALSE(decode_states(R"({"v":2,"states":[]})"));
}

}  // namespace outpost::alerts::test
