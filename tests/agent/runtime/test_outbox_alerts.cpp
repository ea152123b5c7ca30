// The alert monitor wired to the real OutboxSender as the agent wires it
// (agent.cpp: `send` is OutboxSender::deliver), over a real journal that
// refuses writes through the fault VFS (a full disk): an alert that could
// be neither kept nor sent is not lost, it goes at the next sample, once.

#include <catch2/catch.hpp>

#include "../alerts/alert_test_support.hpp"
#include "../journal/fault_vfs.hpp"
#include "agent/alerts/alert_monitor.hpp"
#include "agent/alerts/alert_state_codec.hpp"
#include "agent/journal/journal.hpp"
#include "agent/runtime/outbox_sender.hpp"
#include "agent/transport/event_loop.hpp"
#include "tests/support/temp_dir.hpp"

namespace outpost::alerts::test {
namespace {

using journal_test::FaultVfs;

struct Fixture {
    test_support::TempDir dir{"outbox-alerts"};
    FaultVfs& vfs = FaultVfs::install();
    std::unique_ptr<transport::EventLoop> loop = make_loop();
    journal::Journal db = open_journal(dir.file("journal.db"));
    bool online = false;
    std::vector<std::string> wire;  // what went to the connection
    runtime::OutboxSender outbox{
        *loop, &db, runtime::OutboxSender::Settings{},
        runtime::OutboxSender::Link{.online = [this] { return online; },
                                    .send =
                                        [this](std::string text) {
                                            wire.push_back(std::move(text));
                                            return true;
                                        },
                                    .probe = [] { return std::optional<std::string>{}; },
                                    .paused = [] { return false; }}};

    static std::unique_ptr<transport::EventLoop> make_loop() {
        auto created = transport::EventLoop::create();
        REQUIRE(created);
        return std::move(*created);
    }
    static journal::Journal open_journal(const std::filesystem::path& path) {
        auto opened = journal::Journal::open(path, FaultVfs::full_sync_options());
        REQUIRE(opened);
        return std::move(*opened);
    }

    AlertMonitor::Hooks hooks() {
        return AlertMonitor::Hooks{
            .load = [this] { return db.get(kAlertStateKey); },
            .save = [this](std::string_view text) { return db.put(kAlertStateKey, text); },
            .send =
                [this](protocol::outbound::Alert alert) {
                    return outbox.deliver(std::move(alert));
                },
            .on_firing_changed = {}};
    }

    std::vector<std::string> kept() {
        auto rows = db.peek(100);
        REQUIRE(rows);
        std::vector<std::string> out;
        for (const auto& row : *rows) {
            CHECK(row.kind == journal::OutboxKind::alert);
            out.push_back(row.payload_json);
        }
        return out;
    }
};

}  // namespace

TEST_CASE("an alert the outbox could not keep while offline is kept at the next sample, once",
          "[alerts][outbox]") {
    Fixture f;
    AlertMonitor monitor({rule("cpu_high", "system.cpu.usage_percent", 90)}, f.hooks());
    f.vfs.disk_full = true;
    monitor.on_sample(sample(95), kT0);
    f.vfs.disk_full = false;
    CHECK(f.kept().empty());
    CHECK(monitor.firing().empty());

    monitor.on_sample(sample(95), kT0 + 10s);
    monitor.on_sample(sample(96), kT0 + 20s);
    const auto kept = f.kept();
    REQUIRE(kept.size() == 1);
    CHECK_THAT(kept[0], Catch::Contains(R"("state":"firing")"));
    CHECK(monitor.firing().size() == 1);
    CHECK(f.wire.empty());
}

TEST_CASE("an alert the outbox refused goes to the connection while online, and is not repeated",
          "[alerts][outbox]") {
    Fixture f;
    f.online = true;
    AlertMonitor monitor({rule("cpu_high", "system.cpu.usage_percent", 90)}, f.hooks());
    f.vfs.disk_full = true;
    monitor.on_sample(sample(95), kT0);
    monitor.on_sample(sample(95), kT0 + 10s);
    f.vfs.disk_full = false;
    REQUIRE(f.wire.size() == 1);  // sent once, unconfirmed, rather than not at all
    CHECK_THAT(f.wire[0], Catch::Contains(R"("state":"firing")"));
    CHECK(monitor.firing().size() == 1);
    CHECK(f.kept().empty());
}

}  // namespace outpost::alerts::test
