// "Better twice than never" (docs/alerts.md), with a real journal: a
// transition whose `alert` message could not be kept in the outbox is not
// saved, so it is made and sent again at the next sample, and one lost
// before the save is sent again after a restart. The journal refuses writes
// through the fault VFS (a full disk).

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "../journal/fault_vfs.hpp"
#include "agent/alerts/alert_monitor.hpp"
#include "agent/alerts/alert_state_codec.hpp"
#include "agent/journal/journal.hpp"
#include "alert_test_support.hpp"
#include "tests/support/temp_dir.hpp"

namespace outpost::alerts::test {
namespace {

using journal_test::FaultVfs;
using protocol::outbound::Alert;
using protocol::outbound::AlertState;

// A monitor over the journal at `path` that keeps each alert in the
// journal's outbox, as OutboxSender::deliver does while offline.
struct OutboxHarness {
    journal::Journal journal;
    bool lose_next_send = false;  // the agent dies before the enqueue commits
    std::unique_ptr<AlertMonitor> monitor;

    OutboxHarness(const std::filesystem::path& path, const std::vector<config::AlertRule>& rules)
        : journal(open(path)) {
        monitor = std::make_unique<AlertMonitor>(
            rules,
            AlertMonitor::Hooks{
                .load = [this] { return journal.get(kAlertStateKey); },
                .save = [this](std::string_view text) { return journal.put(kAlertStateKey, text); },
                .send = [this](Alert alert) { return keep(alert); },
                .on_firing_changed = {}});
    }

    bool keep(const Alert& alert) {
        if (lose_next_send) {
            lose_next_send = false;
            return false;
        }
        const auto payload = fmt::format(R"({{"rule":"{}","state":"{}"}})", alert.rule,
                                         protocol::outbound::to_string(alert.state));
        return journal.enqueue(journal::OutboxKind::alert, payload, kT0).has_value();
    }

    // What the outbox holds, as "rule state" lines.
    std::vector<std::string> outbox() {
        auto rows = journal.peek(100);
        REQUIRE(rows);
        std::vector<std::string> out;
        for (const auto& row : *rows) out.push_back(row.payload_json);
        return out;
    }

    static journal::Journal open(const std::filesystem::path& path) {
        FaultVfs::install();
        auto opened = journal::Journal::open(path, FaultVfs::full_sync_options());
        REQUIRE(opened);
        return std::move(*opened);
    }
};

const std::string kCpuFiring = R"({"rule":"cpu_high","state":"firing"})";
const std::string kCpuResolved = R"({"rule":"cpu_high","state":"resolved"})";

}  // namespace

TEST_CASE("an alert the outbox refused is sent once the journal takes writes again",
          "[alerts][delivery]") {
    test_support::TempDir dir("alerts");
    FaultVfs& vfs = FaultVfs::install();
    OutboxHarness h(dir.file("journal.db"), {rule("cpu_high", "system.cpu.usage_percent", 90)});

    vfs.disk_full = true;
    h.monitor->on_sample(sample(95), kT0);
    h.monitor->on_sample(sample(96), kT0 + 10s);
    vfs.disk_full = false;
    CHECK(h.outbox().empty());
    CHECK(h.monitor->firing().empty());  // not firing until it was announced

    h.monitor->on_sample(sample(97), kT0 + 20s);
    h.monitor->on_sample(sample(98), kT0 + 30s);
    CHECK(h.outbox() == std::vector<std::string>{kCpuFiring});
    CHECK(h.monitor->firing().size() == 1);

    // The resolve too, once, after the journal refused it.
    vfs.disk_full = true;
    h.monitor->on_sample(sample(10), kT0 + 40s);
    vfs.disk_full = false;
    CHECK(h.monitor->firing().size() == 1);
    h.monitor->on_sample(sample(10), kT0 + 50s);
    h.monitor->on_sample(sample(10), kT0 + 60s);
    CHECK(h.outbox() == std::vector<std::string>{kCpuFiring, kCpuResolved});
    CHECK(h.monitor->firing().empty());
}

TEST_CASE("an alert lost before its state was saved is sent after a restart",
          "[alerts][delivery]") {
    test_support::TempDir dir("alerts");
    const auto path = dir.file("journal.db");
    const std::vector<config::AlertRule> rules{rule("cpu_high", "system.cpu.usage_percent", 90)};
    {
        OutboxHarness first(path, rules);
        first.lose_next_send = true;  // the agent stops before the message is kept
        first.monitor->on_sample(sample(95), kT0);
        CHECK(first.outbox().empty());
    }
    {
        OutboxHarness second(path, rules);
        CHECK(second.monitor->firing().empty());
        second.monitor->on_sample(sample(95), kT0 + 1min);
        CHECK(second.outbox() == std::vector<std::string>{kCpuFiring});
    }
    // Kept and saved: a third start neither announces it again nor forgets it.
    OutboxHarness third(path, rules);
    third.monitor->on_sample(sample(96), kT0 + 2min);
    CHECK(third.outbox() == std::vector<std::string>{kCpuFiring});
    REQUIRE(third.monitor->firing().size() == 1);
    third.monitor->on_sample(sample(10), kT0 + 3min);
    CHECK(third.outbox() == std::vector<std::string>{kCpuFiring, kCpuResolved});
}

TEST_CASE("a rule removed while its resolve cannot be kept resolves at a later sample",
          "[alerts][delivery]") {
    test_support::TempDir dir("alerts");
    FaultVfs& vfs = FaultVfs::install();
    OutboxHarness h(dir.file("journal.db"), {rule("cpu_high", "system.cpu.usage_percent", 90)});
    h.monitor->on_sample(sample(95), kT0);
    vfs.disk_full = true;
    h.monitor->set_rules({});
    vfs.disk_full = false;
    CHECK(h.outbox() == std::vector<std::string>{kCpuFiring});
    h.monitor->on_sample(sample(95), kT0 + 10s);
    h.monitor->on_sample(sample(95), kT0 + 20s);
    CHECK(h.outbox() == std::vector<std::string>{kCpuFiring, kCpuResolved});
    CHECK(h.monitor->firing().empty());
}

}  // namespace outpost::alerts::test
