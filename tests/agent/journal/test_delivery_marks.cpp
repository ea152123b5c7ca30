// result_ack marks: answered at once, written by the journal's next write
// transaction (or a flush, or the destructor), seen by every read of
// delivery, and lost — the result then re-sent — if the agent dies first.
//
// The journal holds its file exclusively, so no second connection can look
// at the rows; what reached the file is checked by reopening it after a child
// process used the journal and ended with _exit (no destructor runs, as when
// the agent is killed).

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <functional>

#include "journal_fixture.hpp"

using namespace journal_test;
using S = j::CommandState;
using Mark = j::DeliveryMark;

namespace {

void finished(j::Journal& journal, const std::string& id, std::chrono::milliseconds at_offset) {
    REQUIRE_OK(journal.queue(spec(id), at()));
    REQUIRE_OK(journal.mark_running(id, at()));
    REQUIRE_OK(journal.finish(id, result(S::succeeded, at_offset)));
}

std::optional<j::TimePoint> delivered_at(j::Journal& journal, const std::string& id) {
    auto record = journal.lookup(id);
    REQUIRE(record);
    REQUIRE(record->has_value());
    return (*record)->delivered_at;
}

std::vector<std::string> undelivered(j::Journal& journal) {
    auto records = journal.undelivered_results();
    REQUIRE(records);
    std::vector<std::string> ids;
    for (const auto& r : *records) ids.push_back(r.spec.request_id);
    return ids;
}

// Opens the journal in a child process, runs `body` on it and ends the child
// with _exit(body's answer) while the journal is still open: nothing is
// flushed on the way out. Returns that answer (0: all checks passed; -1: the
// child died otherwise). The caller must not hold the journal open.
int in_child_killed_after(const std::filesystem::path& path,
                          const std::function<int(j::Journal&)>& body) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto journal = j::Journal::open(path, j::SyncMode::full);
        if (!journal) ::_exit(100);
        ::_exit(body(*journal));
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Every kind of write transaction the journal makes, each acting on rows
// that the test's setup left in the right state.
struct WritePath {
    const char* name;
    std::function<bool(j::Journal&)> write;
};

std::vector<WritePath> write_paths() {
    const auto week = std::chrono::milliseconds(7 * 24h);
    return {
        {"queue",
         [](j::Journal& journal) { return journal.queue(spec("new"), at(1h)).has_value(); }},
        {"start_new",
         [](j::Journal& journal) {
             return journal.start_new(spec("new"), at(1h), at(1h)).has_value();
         }},
        {"hold_for_approval",
         [](j::Journal& journal) {
             return journal.hold_for_approval(spec("new"), at(1h)).has_value();
         }},
        {"insert_rejected",
         [](j::Journal& journal) {
             return journal.insert_rejected(spec("new"), at(1h), result(S::rejected, 1h))
                 .has_value();
         }},
        {"mark_running",
         [](j::Journal& journal) { return journal.mark_running("waiting", at(1h)).has_value(); }},
        {"finish",
         [](j::Journal& journal) {
             return journal.finish("running", result(S::failed, 1h)).has_value();
         }},
        {"expire_held",
         [](j::Journal& journal) { return journal.expire_held(at(2h)).has_value(); }},
        {"recover_after_restart",
         [](j::Journal& journal) { return journal.recover_after_restart(at(2h)).has_value(); }},
        {"prune", [week](j::Journal& journal) { return journal.prune(week, at(1h)).has_value(); }},
        {"enqueue",
         [](j::Journal& journal) {
             return journal.enqueue(j::OutboxKind::telemetry, "{}", at(1h)).has_value();
         }},
        {"remove", [](j::Journal& journal) { return journal.remove({}).has_value(); }},
        {"flush_delivery_marks",
         [](j::Journal& journal) { return journal.flush_delivery_marks().has_value(); }},
    };
}

}  // namespace

TEST_CASE("a result_ack is answered at once and written by the next write transaction") {
    const auto paths = write_paths();
    const auto index = GENERATE_COPY(range(std::size_t{0}, paths.size()));
    const WritePath& path_under_test = paths[index];
    INFO("write: " << path_under_test.name);
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        finished(journal, "done", 1s);
        REQUIRE_OK(journal.queue(spec("waiting"), at()));
        REQUIRE_OK(journal.queue(spec("running"), at()));
        REQUIRE_OK(journal.mark_running("running", at()));
        REQUIRE_OK(journal.hold_for_approval(spec("held"), at()));
    }
    const int answer = in_child_killed_after(path, [&](j::Journal& journal) {
        auto mark = journal.mark_result_delivered("done", at(5s));
        if (!mark || *mark != Mark::marked) return 1;
        if (journal.pending_delivery_marks() != 1) return 2;
        if (!path_under_test.write(journal)) return 3;
        if (journal.pending_delivery_marks() != 0) return 4;
        return 0;
    });
    REQUIRE(answer == 0);

    auto journal = open_journal(path);
    CHECK(delivered_at(journal, "done") == at(5s));
    for (const auto& id : undelivered(journal)) CHECK(id != "done");
}

TEST_CASE("a pending result_ack counts as delivered for every read") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    finished(journal, "a", 1s);
    finished(journal, "b", 2s);
    REQUIRE(journal.mark_result_delivered("a", at(10s)) == Mark::marked);
    REQUIRE(journal.pending_delivery_marks() == 1);

    SECTION("lookup shows it without writing it") {
        CHECK(delivered_at(journal, "a") == at(10s));
        CHECK_FALSE(delivered_at(journal, "b"));
        CHECK(journal.pending_delivery_marks() == 1);
    }
    SECTION("a second ack is already_delivered and keeps the first ack's time") {
        CHECK(journal.mark_result_delivered("a", at(11s)) == Mark::already_delivered);
        CHECK(journal.pending_delivery_marks() == 1);
        REQUIRE_OK(journal.flush_delivery_marks());
        CHECK(delivered_at(journal, "a") == at(10s));
        CHECK(journal.mark_result_delivered("a", at(12s)) == Mark::already_delivered);
    }
    SECTION("undelivered_results does not return it, and writes nothing") {
        CHECK(undelivered(journal) == std::vector<std::string>{"b"});
        CHECK(journal.pending_delivery_marks() == 1);
    }
    SECTION("backlog_results does not count it") {
        CHECK(journal.backlog_results() == 1u);
    }
    SECTION("results_awaiting_ack does not count it, and writes nothing") {
        CHECK(journal.results_awaiting_ack() == 1u);
        CHECK(journal.pending_delivery_marks() == 1);
        REQUIRE(journal.mark_result_delivered("b", at(11s)) == Mark::marked);
        CHECK(journal.results_awaiting_ack() == 0u);
        REQUIRE_OK(journal.flush_delivery_marks());
        CHECK(journal.results_awaiting_ack() == 0u);
    }
    SECTION("prune may delete it") {
        auto pruned = journal.prune(std::chrono::milliseconds(1h), at(2h));
        REQUIRE(pruned);
        CHECK(*pruned == 1);
        CHECK_FALSE(journal.lookup("a")->has_value());
        CHECK(journal.lookup("b")->has_value());
    }
    SECTION("the other answers are unchanged") {
        REQUIRE_OK(journal.queue(spec("queued"), at()));
        CHECK(journal.mark_result_delivered("queued", at(11s)) == Mark::not_finished);
        CHECK(journal.mark_result_delivered("ghost", at(11s)) == Mark::unknown_request);
        CHECK(journal.pending_delivery_marks() == 0);  // the queue() wrote "a"
    }
}

TEST_CASE("a write that fails and rolls back keeps the marks pending") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    finished(journal, "done", 1s);
    REQUIRE(journal.mark_result_delivered("done", at(5s)) == Mark::marked);
    CHECK_FALSE(journal.queue(spec("done"), at(6s)).has_value());  // already journaled
    CHECK(journal.pending_delivery_marks() == 1);
    CHECK(undelivered(journal).empty());
    REQUIRE_OK(journal.flush_delivery_marks());
    CHECK(journal.pending_delivery_marks() == 0);
    CHECK(delivered_at(journal, "done") == at(5s));
}

TEST_CASE("closing the journal writes the pending marks") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        finished(journal, "done", 1s);
        finished(journal, "other", 2s);
        REQUIRE(journal.mark_result_delivered("done", at(5s)) == Mark::marked);
        REQUIRE(journal.pending_delivery_marks() == 1);
    }
    auto journal = open_journal(path);
    CHECK(delivered_at(journal, "done") == at(5s));
    CHECK(undelivered(journal) == std::vector<std::string>{"other"});
}

TEST_CASE("a mark still pending when the agent dies is lost: the result is sent again") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        finished(journal, "done", 1s);
    }
    const int answer = in_child_killed_after(path, [](j::Journal& journal) {
        auto mark = journal.mark_result_delivered("done", at(5s));
        if (!mark || *mark != Mark::marked) return 1;
        auto rest = journal.backlog_results();  // flushes: the answer must be 0
        if (!rest || *rest != 0) return 2;
        mark = journal.mark_result_delivered("done", at(6s));
        if (!mark || *mark != Mark::already_delivered) return 3;
        return 0;
    });
    REQUIRE(answer == 0);
    {
        auto journal = open_journal(path);
        CHECK(delivered_at(journal, "done") == at(5s));  // the flushed one stayed
        finished(journal, "second", 2s);
    }
    const int second = in_child_killed_after(path, [](j::Journal& journal) {
        auto mark = journal.mark_result_delivered("second", at(7s));
        if (!mark || *mark != Mark::marked) return 1;
        if (journal.pending_delivery_marks() != 1) return 2;
        return 0;  // dies with the mark pending
    });
    REQUIRE(second == 0);
    auto journal = open_journal(path);
    CHECK_FALSE(delivered_at(journal, "second"));
    CHECK(undelivered(journal) == std::vector<std::string>{"second"});
    CHECK(journal.mark_result_delivered("second", at(8s)) == Mark::marked);
}

TEST_CASE("the pending marks are bounded: reaching the cap writes them") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    const std::size_t cap = j::kMaxPendingDeliveryMarks;
    {
        auto journal = open_journal(path);
        for (std::size_t n = 0; n <= cap; ++n) {
            finished(journal, fmt::format("r-{}", n), std::chrono::milliseconds(n));
        }
    }
    const int answer = in_child_killed_after(path, [cap](j::Journal& journal) {
        for (std::size_t n = 0; n < cap; ++n) {
            auto mark = journal.mark_result_delivered(fmt::format("r-{}", n), at(1h));
            if (!mark || *mark != Mark::marked) return 1;
            const std::size_t want = n + 1 < cap ? n + 1 : 0;
            if (journal.pending_delivery_marks() != want) return 2;
        }
        auto last = journal.mark_result_delivered(fmt::format("r-{}", cap), at(1h));
        if (!last || *last != Mark::marked) return 3;
        if (journal.pending_delivery_marks() != 1) return 4;
        return 0;  // dies with the last one pending
    });
    REQUIRE(answer == 0);
    auto journal = open_journal(path);
    CHECK(undelivered(journal) == std::vector<std::string>{fmt::format("r-{}", cap)});
    CHECK(delivered_at(journal, "r-0") == at(1h));
}
