// The outbox (order, bounds, drops) and the durable agent state.

#include <fmt/format.h>

#include <vector>

#include "fault_vfs.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;
using K = j::OutboxKind;

namespace {

j::Journal open_with_limits(const std::filesystem::path& path, std::uint64_t messages,
                            std::uint64_t bytes) {
    j::Options options;
    options.outbox = {.max_messages = messages, .max_bytes = bytes};
    auto journal = j::Journal::open(path, options);
    if (!journal) FAIL(journal.error().message());
    return std::move(*journal);
}

std::vector<std::string> payloads(j::Journal& journal) {
    auto messages = journal.peek(1000);
    REQUIRE(messages);
    std::vector<std::string> out;
    for (const auto& m : *messages) out.push_back(m.payload_json);
    return out;
}

j::EnqueueReport put(j::Journal& journal, K kind, const std::string& payload) {
    auto report = journal.enqueue(kind, payload, at());
    if (!report) FAIL(report.error().message());
    return *report;
}

}  // namespace

TEST_CASE("the outbox keeps messages in order and removes only what was sent") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    put(journal, K::telemetry, R"({"n":1})");
    put(journal, K::alert, R"({"n":2})");
    put(journal, K::status, R"({"n":3})");
    put(journal, K::health, R"({"n":4})");
    CHECK(*journal.size() == 4);
    CHECK(*journal.bytes() == 4 * 7);

    auto first = journal.peek(2);
    REQUIRE(first);
    REQUIRE(first->size() == 2);
    CHECK((*first)[0].kind == K::telemetry);
    CHECK((*first)[1].kind == K::alert);
    CHECK((*first)[0].id < (*first)[1].id);
    CHECK((*first)[0].enqueued_at == at());

    const std::vector<std::int64_t> sent = {(*first)[0].id, (*first)[1].id, 99'999};
    auto removed = journal.remove(sent);
    REQUIRE(removed);
    CHECK(*removed == 2);
    CHECK(payloads(journal) == std::vector<std::string>{R"({"n":3})", R"({"n":4})"});
    auto again = journal.remove(sent);
    REQUIRE(again);
    CHECK(*again == 0);
}

TEST_CASE("the outbox reads past what was sent and removes through a confirmed id") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    for (int n = 1; n <= 5; ++n) put(journal, K::health, fmt::format(R"({{"n":{}}})", n));
    auto all = journal.peek(10);
    REQUIRE(all);
    REQUIRE(all->size() == 5);

    auto after_second = journal.peek(2, (*all)[1].id);
    REQUIRE(after_second);
    REQUIRE(after_second->size() == 2);
    CHECK((*after_second)[0].payload_json == R"({"n":3})");
    CHECK((*after_second)[1].payload_json == R"({"n":4})");
    auto past_end = journal.peek(2, (*all)[4].id);
    REQUIRE(past_end);
    CHECK(past_end->empty());

    auto removed = journal.remove_through((*all)[2].id);
    REQUIRE(removed);
    CHECK(*removed == 3);
    CHECK(payloads(journal) == std::vector<std::string>{R"({"n":4})", R"({"n":5})"});
    // Again: nothing left up to there.
    CHECK(*journal.remove_through((*all)[2].id) == 0);
}

TEST_CASE("outbox writes are not synced one by one, even with journal.sync: full") {
    // Losing one to a power cut only means a message is sent once more; an
    // fsync per health/telemetry on the event loop would stall it on a slow
    // disk (relaxed_sync.hpp).
    TempDir dir;
    FaultVfs& vfs = FaultVfs::install();
    auto journal = j::Journal::open(dir.file("j.db"), FaultVfs::full_sync_options());
    REQUIRE(journal);
    const int before = vfs.wal_syncs;
    REQUIRE(journal->enqueue(K::health, R"({"n":1})", at()));
    REQUIRE(journal->enqueue(K::health, R"({"n":2})", at()));
    auto first = journal->peek(1);
    REQUIRE(first);
    REQUIRE(journal->remove(std::vector<std::int64_t>{first->front().id}));
    REQUIRE(journal->remove_through(first->front().id + 1));
    CHECK(vfs.wal_syncs == before);
    CHECK(*journal->size() == 0);
    // A command's commit still syncs, and carries the outbox writes with it.
    REQUIRE(journal->queue(spec("after-outbox"), at()));
    CHECK(vfs.wal_syncs == before + 1);

    // Inside a group commit's batch the batch's one sync covers them, and
    // the connection is back to syncing each commit afterwards.
    journal->defer_syncs();
    REQUIRE(journal->queue(spec("in-batch"), at()));
    REQUIRE(journal->enqueue(K::health, R"({"n":3})", at()));
    CHECK(journal->syncs_deferred());
    CHECK(vfs.wal_syncs == before + 1);
    REQUIRE(journal->sync_deferred());
    CHECK(vfs.wal_syncs == before + 2);
    REQUIRE(journal->queue(spec("after-batch"), at()));
    CHECK(vfs.wal_syncs == before + 3);
}

TEST_CASE("a full outbox drops the oldest telemetry first and counts it") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_with_limits(path, 4, 1'000'000);
        put(journal, K::alert, "a1");
        put(journal, K::telemetry, "t1");
        put(journal, K::telemetry, "t2");
        put(journal, K::status, "s1");
        auto report = put(journal, K::health, "h1");
        CHECK(report.id);
        CHECK(report.dropped_telemetry == 1);
        CHECK(report.dropped_other == 0);
        CHECK(payloads(journal) == std::vector<std::string>{"a1", "t2", "s1", "h1"});
        put(journal, K::telemetry, "t3");
        CHECK(payloads(journal) == std::vector<std::string>{"a1", "s1", "h1", "t3"});
    }
    // The counter survives a restart, and reading it does not reset it: a
    // running total (protocol.md §3.4).
    auto journal = open_with_limits(path, 4, 1'000'000);
    auto dropped = journal.dropped_count();
    REQUIRE(dropped);
    CHECK(dropped->telemetry == 2);
    CHECK(dropped->other == 0);
    CHECK(journal.dropped_count()->total() == 2);

    SECTION("with no telemetry stored, a new sample is the one dropped") {
        REQUIRE_OK(journal.remove(std::vector<std::int64_t>{journal.peek(4)->back().id}));
        put(journal, K::alert, "a2");
        auto report = put(journal, K::telemetry, "t4");
        CHECK_FALSE(report.id);
        CHECK(report.dropped_telemetry == 1);
        CHECK(payloads(journal) == std::vector<std::string>{"a1", "s1", "h1", "a2"});
        CHECK(journal.dropped_count()->telemetry == 3);  // 2 before, never reset
    }
    SECTION("with no telemetry stored, anything else pushes out the oldest message") {
        REQUIRE_OK(journal.remove(std::vector<std::int64_t>{journal.peek(4)->back().id}));
        put(journal, K::alert, "a2");
        auto report = put(journal, K::alert, "a3");
        CHECK(report.id);
        CHECK(report.dropped_telemetry == 0);
        CHECK(report.dropped_other == 1);
        CHECK(payloads(journal) == std::vector<std::string>{"s1", "h1", "a2", "a3"});
        auto counts = journal.dropped_count();
        CHECK(counts->other == 1);
        CHECK(counts->telemetry == 2);
    }
}

TEST_CASE("the byte bound drops as many old samples as it takes") {
    TempDir dir;
    auto journal = open_with_limits(dir.file("journal.db"), 100, 30);
    put(journal, K::telemetry, std::string(10, '1'));
    put(journal, K::alert, std::string(5, 'a'));
    put(journal, K::telemetry, std::string(10, '2'));
    CHECK(*journal.bytes() == 25);
    auto report = put(journal, K::status, std::string(20, 's'));
    CHECK(report.dropped_telemetry == 2);
    CHECK(*journal.bytes() == 25);
    CHECK(payloads(journal) == std::vector<std::string>{"aaaaa", std::string(20, 's')});

    auto too_big = journal.enqueue(K::alert, std::string(31, 'x'), at());
    REQUIRE_FALSE(too_big);
    CHECK(contains(too_big.error().message(), "can never fit"));
    CHECK(*journal.size() == 2);
}

TEST_CASE("telemetry seq grows by one across restarts") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        CHECK(*journal.next_telemetry_seq() == 1);
        CHECK(*journal.next_telemetry_seq() == 2);
    }
    auto journal = open_journal(path);
    CHECK(*journal.next_telemetry_seq() == 3);
}

TEST_CASE("agent state values persist and can be replaced or erased") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        CHECK_FALSE(journal.get("config.overrides")->has_value());
        REQUIRE_OK(journal.put("config.overrides", R"({"telemetry":{"interval":"30s"}})"));
        REQUIRE_OK(journal.put("config.overrides", R"({"telemetry":{"interval":"15s"}})"));
        REQUIRE_OK(journal.put("other", "x"));
        CHECK_FALSE(journal.put("", "x"));
    }
    auto journal = open_journal(path);
    CHECK(journal.get("config.overrides")->value() == R"({"telemetry":{"interval":"15s"}})");
    CHECK(*journal.erase("other"));
    CHECK_FALSE(*journal.erase("other"));
    CHECK_FALSE(journal.get("other")->has_value());
}
