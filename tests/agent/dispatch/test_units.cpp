// The dispatcher's units on their own interfaces: GroupCommit over a real
// journal file (through the fault VFS, to count and fail syncs), and the
// bookkeeping units JournalHealth, RunSlots, ConfigUpdates and SignedGate.
// The whole dispatcher is tested in the other files.

#include "../journal/fault_vfs.hpp"
#include "agent/dispatch/config_updates.hpp"
#include "agent/dispatch/group_commit.hpp"
#include "agent/dispatch/journal_health.hpp"
#include "agent/dispatch/run_slots.hpp"
#include "agent/dispatch/signed.hpp"
#include "agent/protocol/inbound_parser.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch;
using namespace outpost::dispatch::test;
using outpost::protocol::outbound::AckState;
namespace journal = outpost::journal;

namespace {

struct CommitRig {
    CommitRig() {
        vfs.fail_next_wal_syncs = 0;
        auto opened = journal::Journal::open(dir.path() / "journal.db",
                                             journal_test::FaultVfs::full_sync_options());
        REQUIRE(opened.has_value());
        db.emplace(std::move(*opened));
        commit = std::make_unique<GroupCommit>(
            &*db, [this](std::string why) { failures.push_back(std::move(why)); });
    }
    ~CommitRig() { vfs.fail_next_wal_syncs = 0; }

    // Group commit on; the flush the batch schedules is kept, run by the test.
    void enable() {
        commit->enable([this](std::function<void()> flush) { scheduled.push_back(flush); }, nullptr,
                       std::chrono::milliseconds(0), 256);
    }
    // One journal write, as a command's acceptance makes it.
    void write(const std::string& request_id) {
        commit->before_write();
        journal::CommandSpec spec;
        spec.request_id = request_id;
        spec.command = "echo";
        REQUIRE(db->queue(spec, std::chrono::system_clock::now()).has_value());
    }

    TempDir dir;
    journal_test::FaultVfs& vfs = journal_test::FaultVfs::install();
    std::optional<journal::Journal> db;
    std::unique_ptr<GroupCommit> commit;
    std::vector<std::function<void()>> scheduled;
    std::vector<std::string> failures;
    std::vector<std::string> effects;
};

}  // namespace

TEST_CASE("GroupCommit off: every write syncs itself and effects run at once") {
    CommitRig rig;
    const int syncs = rig.vfs.wal_syncs;
    rig.write("a");
    rig.commit->after_durable([&] { rig.effects.push_back("a"); });
    CHECK(rig.effects == std::vector<std::string>{"a"});
    CHECK(rig.scheduled.empty());
    CHECK(rig.vfs.wal_syncs > syncs);
}

TEST_CASE("GroupCommit: effects wait for the batch's one sync, in order") {
    CommitRig rig;
    rig.enable();
    const int syncs = rig.vfs.wal_syncs;
    rig.write("a");
    rig.commit->after_durable([&] { rig.effects.push_back("a"); });
    rig.write("b");
    rig.commit->after_durable([&] { rig.effects.push_back("b"); });
    CHECK(rig.effects.empty());
    CHECK(rig.vfs.wal_syncs == syncs);   // deferred
    REQUIRE(rig.scheduled.size() == 1);  // one flush per batch
    rig.scheduled[0]();
    CHECK(rig.effects == std::vector<std::string>{"a", "b"});
    CHECK(rig.vfs.wal_syncs == syncs + 1);
    CHECK_FALSE(rig.db->syncs_deferred());
    CHECK(rig.failures.empty());
    // A flush with nothing open does nothing; a new write opens a new batch.
    rig.commit->flush();
    rig.write("c");
    CHECK(rig.scheduled.size() == 2);
}

TEST_CASE("GroupCommit: a failed sync is reported before the batch's effects run") {
    CommitRig rig;
    rig.enable();
    rig.write("a");
    rig.commit->after_durable(
        [&] { rig.effects.push_back(rig.failures.empty() ? "before report" : "after report"); });
    rig.vfs.fail_next_wal_syncs = 1;
    rig.commit->flush();
    REQUIRE(rig.failures.size() == 1);
    CHECK(rig.failures[0].find("a journal sync failed") != std::string::npos);
    CHECK(rig.effects == std::vector<std::string>{"after report"});
}

TEST_CASE("GroupCommit close: the batch made durable, its effects muted, batching off") {
    CommitRig rig;
    rig.enable();
    rig.write("a");
    bool muted_seen = false;
    rig.commit->after_durable([&] { muted_seen = rig.commit->muted(); });
    rig.commit->close();
    CHECK(muted_seen);
    CHECK_FALSE(rig.commit->muted());
    CHECK_FALSE(rig.db->syncs_deferred());
    // Off now: a write syncs itself, its effect runs at once, unmuted.
    rig.write("b");
    rig.commit->after_durable([&] { rig.effects.push_back("b"); });
    CHECK(rig.effects == std::vector<std::string>{"b"});
    CHECK(rig.scheduled.size() == 1);
}

TEST_CASE("JournalHealth: why no command may start, and what to tell people") {
    JournalHealth none(false, "journal.db: file is not a database");
    CHECK(none.unusable());
    CHECK(none.no_commands_reason() == "journal.db: file is not a database");
    CHECK(none.problem() == "journal.db: file is not a database");

    JournalHealth health(true, "");
    CHECK_FALSE(health.no_commands_reason());
    CHECK(health.problem().empty());

    CHECK(health.recovery_failed("disk I/O error"));
    CHECK_FALSE(health.recovery_failed("disk I/O error"));  // logged once
    CHECK(health.no_commands_reason().value_or("").find("journal recovery after the restart "
                                                        "failed (disk I/O error)") == 0);
    CHECK(health.recovery_succeeded());
    CHECK_FALSE(health.recovery_succeeded());
    CHECK_FALSE(health.no_commands_reason());

    journal::CommandResult result;
    health.keep_unstored("r-1", result, "database or disk is full");
    CHECK(health.is_unstored("r-1"));
    CHECK_FALSE(health.no_commands_reason());  // commands still run
    CHECK(health.problem() ==
          "1 result(s) could not be journaled (database or disk is full); not sent, retried "
          "with each maintenance");
    health.forget_unstored("r-1");
    CHECK(health.problem().empty());

    health.sync_failed("a journal sync failed (x)");
    CHECK(health.failed());
    CHECK(health.unusable());
    CHECK(health.no_commands_reason() == "a journal sync failed (x)");
}

TEST_CASE("RunSlots: a slot at once only when one is free and none waits") {
    RunSlots slots(1);
    CHECK(slots.can_start_now());
    slots.occupy("a");
    CHECK_FALSE(slots.can_start_now());
    CHECK(slots.running("a") == outpost::executors::RunHandle{});
    slots.occupy("a", outpost::executors::RunHandle{7});
    CHECK(slots.running("a") == outpost::executors::RunHandle{7});
    for (const char* id : {"b", "c", "d"}) {
        PendingRun pending;
        pending.spec.request_id = id;
        slots.enqueue(std::move(pending));
    }
    CHECK_FALSE(slots.next_to_start());  // the one slot is taken
    CHECK(slots.queued_count() == 3);
    CHECK(slots.remove_queued("c"));
    CHECK_FALSE(slots.remove_queued("c"));
    slots.release("a");
    CHECK_FALSE(slots.running("a"));
    CHECK_FALSE(slots.can_start_now());  // free, but "b" waits first
    auto next = slots.next_to_start();
    REQUIRE(next);
    CHECK(next->spec.request_id == "b");
    auto first = slots.take_first_queued();  // slot or not
    REQUIRE(first);
    CHECK(first->spec.request_id == "d");
    CHECK(slots.queued_count() == 0);
}

TEST_CASE("ConfigUpdates: the answer, without sending it") {
    TempDir dir;
    auto opened = journal::Journal::open(dir.path() / "journal.db",
                                         journal::Options{.sync = journal::SyncMode::normal});
    REQUIRE(opened.has_value());
    journal::Journal db = std::move(*opened);

    ConfigUpdates unsupported(&db, nullptr);
    auto refused = unsupported.handle("cu-1", "{}");
    CHECK(refused.state == AckState::rejected);
    CHECK(refused.reason.value_or("").find("not supported") != std::string::npos);

    int calls = 0;
    ConfigUpdates updates(
        &db, [&](std::string_view request_id, std::string_view blob) -> outpost::Expected<void> {
            ++calls;
            if (blob == "bad") return outpost::fail(outpost::ErrorKind::invalid_input, "no good");
            auto put = db.apply_config_update(request_id, std::chrono::system_clock::now(),
                                              "runtime_overrides", blob);
            if (!put) return std::unexpected(put.error());
            return {};
        });
    auto bad = updates.handle("cu-2", "bad");
    CHECK(bad.state == AckState::rejected);
    CHECK(bad.reason == "no good");
    auto good = updates.handle("cu-3", R"({"a":1})");
    CHECK(good.state == AckState::accepted);
    CHECK_FALSE(good.reason);
    auto again = updates.handle("cu-3", R"({"a":1})");  // answered from the journal
    CHECK(again.state == AckState::accepted);
    CHECK(again.reason.value_or("").find("already applied") != std::string::npos);
    CHECK(calls == 2);
}

TEST_CASE("SignedGate: unsigned messages pass as they are unless they must be signed") {
    outpost::protocol::InboundParser parser;
    auto execute = parser.parse(execute_json("g-1", "echo", {"x"}), 1024 * 1024);
    REQUIRE(execute.has_value());
    auto health_check =
        parser.parse(message("health_check", R"({"request_id":"h-1"})"), 1024 * 1024);
    REQUIRE(health_check.has_value());
    const auto now = [] { return std::chrono::system_clock::now(); };

    SignedGate open_gate(
        SignedGate::Settings{.node_id = "node-1", .command_public_key = std::nullopt}, now);
    auto passed = open_gate.admit(*execute);
    REQUIRE(passed.has_value());
    CHECK_FALSE(passed->has_value());  // route the message itself

    SignedGate strict(
        SignedGate::Settings{.node_id = "node-1", .command_public_key = outpost::auth::PublicKey{}},
        now);
    auto refused = strict.admit(*execute);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == outpost::protocol::ErrorCode::bad_signature);
    CHECK(refused.error().ref == execute->id);
    CHECK(strict.admit(*health_check).has_value());  // not a command: need not be signed

    auto envelope = parser.parse(message("signed", R"({"jws":"a.b.c"})"), 1024 * 1024);
    REQUIRE(envelope.has_value());
    auto unconfigured = open_gate.admit(*envelope);
    REQUIRE_FALSE(unconfigured.has_value());
    CHECK(unconfigured.error().code == outpost::protocol::ErrorCode::unsupported);
    auto forged = strict.admit(*envelope);
    REQUIRE_FALSE(forged.has_value());
    CHECK(forged.error().code == outpost::protocol::ErrorCode::bad_signature);
    CHECK(forged.error().ref == envelope->id);
}
