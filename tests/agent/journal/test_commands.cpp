// Commands: what is stored, at most once, first result wins, recovery,
// result delivery and retention.

#include "agent/journal/sqlite.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;
using S = j::CommandState;

namespace {

j::CommandRecord must_find(j::Journal& journal, const std::string& id) {
    auto record = journal.lookup(id);
    REQUIRE(record);
    REQUIRE(record->has_value());
    return **record;
}

std::vector<std::string> ids_of(const std::vector<j::CommandRecord>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records) ids.push_back(r.spec.request_id);
    return ids;
}

void run_to_end(j::Journal& journal, const std::string& id, S state,
                std::chrono::milliseconds finished) {
    REQUIRE_OK(journal.queue(spec(id), at()));
    REQUIRE_OK(journal.mark_running(id, at()));
    REQUIRE_OK(journal.finish(id, result(state, finished)));
}

}  // namespace

TEST_CASE("a queued command is stored with everything needed to start it") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    auto s = spec("req-1", "restart_service");
    s.args = {"nginx", "", "--now", "ünïcode"};
    s.env = {{"B", "2"}, {"A", "1"}};
    s.stdin_data = std::string("line\n\0binary", 12);
    s.timeout_ms = 30'000;
    s.not_after = at(10min);
    REQUIRE_OK(journal.queue(s, at(1s)));

    auto record = must_find(journal, "req-1");
    CHECK(record.state == S::queued);
    CHECK(record.spec.command == "restart_service");
    CHECK(record.spec.args == s.args);
    CHECK(record.spec.env ==
          std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", "2"}});
    CHECK(record.spec.stdin_data == s.stdin_data);
    CHECK(record.spec.timeout_ms == 30'000);
    CHECK(record.spec.not_after == at(10min));
    CHECK(record.received_at == at(1s));
    CHECK_FALSE(record.started_at);
    CHECK_FALSE(record.result);
    CHECK_FALSE(record.result_delivered());

    auto unknown = journal.lookup("nope");
    REQUIRE(unknown);
    CHECK_FALSE(unknown->has_value());
}

TEST_CASE("a finished command keeps its result and forgets env and stdin") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    auto s = spec("req-1");
    s.args = {"x"};
    s.env = {{"TOKEN", "secret"}};
    s.stdin_data = "input";
    REQUIRE_OK(journal.queue(s, at()));
    REQUIRE_OK(journal.mark_running("req-1", at(1s)));

    j::CommandResult r;
    r.state = S::failed;
    r.exit_code = 3;
    r.signal = std::nullopt;
    r.stdout_text = "out";
    r.stderr_text = std::string(70'000, 'e');
    r.stderr_truncated = true;
    r.duration_ms = 1234;
    r.reason = "exit status 3";
    r.finished_at = at(3s);
    REQUIRE_OK(journal.finish("req-1", r));

    auto record = must_find(journal, "req-1");
    CHECK(record.state == S::failed);
    CHECK(record.started_at == at(1s));
    REQUIRE(record.result);
    CHECK(record.result->state == S::failed);
    CHECK(record.result->exit_code == 3);
    CHECK_FALSE(record.result->signal);
    CHECK(record.result->stdout_text == "out");
    CHECK(record.result->stderr_text == r.stderr_text);
    CHECK_FALSE(record.result->stdout_truncated);
    CHECK(record.result->stderr_truncated);
    CHECK(record.result->duration_ms == 1234);
    CHECK(record.result->reason == "exit status 3");
    CHECK(record.result->finished_at == at(3s));
    CHECK(record.spec.args == std::vector<std::string>{"x"});
    CHECK(record.spec.env.empty());
    CHECK(record.spec.stdin_data.empty());
}

TEST_CASE("a rejected command is journaled with its result, and only once") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    auto s = spec("req-1", "rm");
    s.args = {"-rf", "/"};
    REQUIRE_OK(journal.insert_rejected(s, at(), result(S::rejected)));
    auto record = must_find(journal, "req-1");
    CHECK(record.state == S::rejected);
    REQUIRE(record.result);
    CHECK(record.result->reason == "not allow-listed");
    CHECK(record.spec.args == s.args);

    CHECK_FALSE(journal.insert_rejected(s, at(), result(S::rejected)));
    CHECK_FALSE(journal.queue(s, at()));
    CHECK_FALSE(journal.hold_for_approval(s, at()));
    CHECK_FALSE(journal.insert_rejected(spec("req-2"), at(), result(S::failed)));
}

TEST_CASE("mark_running twice is refused: a command never starts twice") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    REQUIRE_OK(journal.queue(spec("req-1"), at()));
    REQUIRE_OK(journal.mark_running("req-1", at(1s)));
    auto again = journal.mark_running("req-1", at(2s));
    REQUIRE_FALSE(again);
    CHECK(contains(again.error().message(), "req-1"));
    CHECK(contains(again.error().message(), "never started twice"));
    CHECK(must_find(journal, "req-1").started_at == at(1s));

    REQUIRE_OK(journal.finish("req-1", result(S::succeeded, 3s)));
    CHECK_FALSE(journal.mark_running("req-1", at(4s)));
    auto unknown = journal.mark_running("ghost", at());
    REQUIRE_FALSE(unknown);
    CHECK(contains(unknown.error().message(), "unknown request_id"));
}

TEST_CASE("finishing twice is refused and the first result wins") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    REQUIRE_OK(journal.queue(spec("req-1"), at()));
    REQUIRE_OK(journal.mark_running("req-1", at()));
    REQUIRE_OK(journal.finish("req-1", result(S::succeeded, 1s)));
    auto second = journal.finish("req-1", result(S::failed, 2s));
    REQUIRE_FALSE(second);
    CHECK(contains(second.error().message(), "first result is kept"));
    auto record = must_find(journal, "req-1");
    CHECK(record.state == S::succeeded);
    CHECK(record.result->exit_code == 0);
    CHECK(record.result->finished_at == at(1s));
}

TEST_CASE("results are checked before they are stored") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    REQUIRE_OK(journal.queue(spec("req-1"), at()));
    REQUIRE_OK(journal.mark_running("req-1", at()));
    auto bad = result(S::succeeded);
    bad.exit_code = 2;
    CHECK_FALSE(journal.finish("req-1", bad));
    CHECK_FALSE(journal.finish("req-1", result(S::running)));
    CHECK(must_find(journal, "req-1").state == S::running);
}

TEST_CASE("after a restart running and queued commands are interrupted, never re-run") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        REQUIRE_OK(journal.queue(spec("running"), at()));
        REQUIRE_OK(journal.mark_running("running", at(1s)));
        REQUIRE_OK(journal.queue(spec("queued"), at()));
        run_to_end(journal, "done", S::succeeded, 2s);
        REQUIRE_OK(journal.mark_result_delivered("done", at(3s)));
        REQUIRE_OK(journal.hold_for_approval(spec("held-fresh"), at(50min)));
        REQUIRE_OK(journal.hold_for_approval(spec("held-old"), at()));
    }
    auto journal = open_journal(path);
    auto report = journal.recover_after_restart(at(1h + 1s));
    REQUIRE(report);
    CHECK(report->running_interrupted == 1);
    CHECK(report->queued_interrupted == 1);
    CHECK(report->approvals_expired == 1);

    auto running = must_find(journal, "running");
    CHECK(running.state == S::interrupted);
    REQUIRE(running.result);
    CHECK(running.result->reason == j::kReasonRestartedWhileRunning);
    CHECK(running.result->finished_at == at(1h + 1s));
    CHECK(running.result->duration_ms == 3600'000);
    CHECK_FALSE(running.result->exit_code);
    auto queued = must_find(journal, "queued");
    CHECK(queued.state == S::interrupted);
    CHECK(queued.result->reason == j::kReasonRestartedBeforeStart);
    CHECK(must_find(journal, "held-old").state == S::rejected);
    CHECK(must_find(journal, "held-old").result->reason == j::kReasonApprovalExpired);
    CHECK(must_find(journal, "held-fresh").state == S::awaiting_approval);
    auto done = must_find(journal, "done");
    CHECK(done.state == S::succeeded);
    CHECK(done.result->finished_at == at(2s));
    CHECK(done.result_delivered());

    CHECK_FALSE(journal.mark_running("running", at(2h)));
    CHECK_FALSE(journal.mark_running("queued", at(2h)));
    auto undelivered = journal.undelivered_results();
    REQUIRE(undelivered);
    CHECK(undelivered->size() == 3);

    auto second = journal.recover_after_restart(at(1h + 2s));  // nothing left to do
    REQUIRE(second);
    CHECK(second->running_interrupted + second->queued_interrupted + second->approvals_expired ==
          0);
}

TEST_CASE("held commands expire at not_after or after an hour") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    auto soon = spec("soon");
    soon.not_after = at(10min);
    REQUIRE_OK(journal.hold_for_approval(soon, at()));
    REQUIRE_OK(journal.hold_for_approval(spec("hour"), at()));
    CHECK(must_find(journal, "soon").approval_deadline == at(10min));
    CHECK(must_find(journal, "hour").approval_deadline == at(1h));

    auto none = journal.expire_held(at(10min - 1ms));
    REQUIRE(none);
    CHECK(none->empty());
    auto first = journal.expire_held(at(10min));
    REQUIRE(first);
    CHECK(*first == std::vector<std::string>{"soon"});
    CHECK(must_find(journal, "soon").state == S::rejected);
    auto second = journal.expire_held(at(2h));
    REQUIRE(second);
    CHECK(*second == std::vector<std::string>{"hour"});

    SECTION("an approved command runs before its deadline and no longer expires") {
        REQUIRE_OK(journal.hold_for_approval(spec("ok"), at(2h)));
        REQUIRE_OK(journal.mark_running("ok", at(2h + 1s)));
        auto later = journal.expire_held(at(5h));
        REQUIRE(later);
        CHECK(later->empty());
        CHECK(must_find(journal, "ok").state == S::running);
    }
}

TEST_CASE("undelivered results come oldest first until their result_ack") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    run_to_end(journal, "c", S::failed, 3s);
    run_to_end(journal, "a", S::succeeded, 1s);
    REQUIRE_OK(journal.insert_rejected(spec("b"), at(), result(S::rejected, 2s)));
    run_to_end(journal, "a2", S::timed_out, 1s);  // same time as "a": insertion order
    REQUIRE_OK(journal.queue(spec("still-queued"), at()));

    auto all = journal.undelivered_results();
    REQUIRE(all);
    CHECK(ids_of(*all) == std::vector<std::string>{"a", "a2", "b", "c"});
    auto two = journal.undelivered_results(2);
    REQUIRE(two);
    CHECK(ids_of(*two) == std::vector<std::string>{"a", "a2"});
    CHECK(*journal.backlog_results() == 4);

    CHECK(*journal.mark_result_delivered("a2", at(10s)) == j::DeliveryMark::marked);
    CHECK(*journal.mark_result_delivered("a2", at(11s)) == j::DeliveryMark::already_delivered);
    CHECK(*journal.mark_result_delivered("ghost", at(11s)) == j::DeliveryMark::unknown_request);
    CHECK(*journal.mark_result_delivered("still-queued", at(11s)) == j::DeliveryMark::not_finished);
    CHECK(must_find(journal, "a2").delivered_at == at(10s));  // the first ack's time

    auto rest = journal.undelivered_results();
    REQUIRE(rest);
    CHECK(ids_of(*rest) == std::vector<std::string>{"a", "b", "c"});
    CHECK(*journal.backlog_results() == 3);
    CHECK(*journal.count(S::queued) == 1);
    CHECK(*journal.running_count() == 0);
}

TEST_CASE("prune deletes old delivered results only") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    const auto week = std::chrono::milliseconds(7 * 24h);
    auto with_args = spec("old-delivered");
    with_args.args = {"x", "y"};
    REQUIRE_OK(journal.queue(with_args, at()));
    REQUIRE_OK(journal.mark_running("old-delivered", at()));
    REQUIRE_OK(journal.finish("old-delivered", result(S::succeeded, 1s)));
    run_to_end(journal, "old-undelivered", S::failed, 1s);
    run_to_end(journal, "new-delivered", S::succeeded, 6 * 24h);
    REQUIRE_OK(journal.queue(spec("old-queued"), at()));
    REQUIRE_OK(journal.queue(spec("old-running"), at()));
    REQUIRE_OK(journal.mark_running("old-running", at()));
    REQUIRE_OK(journal.mark_result_delivered("old-delivered", at(2s)));
    REQUIRE_OK(journal.mark_result_delivered("new-delivered", at(6 * 24h)));

    auto pruned = journal.prune(week, at(8 * 24h));
    REQUIRE(pruned);
    CHECK(*pruned == 1);
    auto gone = journal.lookup("old-delivered");
    REQUIRE(gone);
    CHECK_FALSE(gone->has_value());
    {
        // Its args went with it (foreign keys are on). No second connection
        // can look while the journal holds its exclusive lock, so journal the
        // id again: a stale arg would collide or show up in the lookup.
        auto again = spec("old-delivered");
        again.args = {"only"};
        REQUIRE_OK(journal.queue(again, at(8 * 24h)));
        CHECK(must_find(journal, "old-delivered").spec.args == again.args);
        REQUIRE_OK(journal.finish("old-delivered", result(S::cancelled, 8 * 24h)));
        REQUIRE_OK(journal.mark_result_delivered("old-delivered", at(8 * 24h)));
    }
    for (const char* kept : {"old-undelivered", "new-delivered", "old-queued", "old-running"}) {
        INFO(kept);
        CHECK(journal.lookup(kept)->has_value());
    }
    // Years later the undelivered result is still there to be re-sent.
    REQUIRE_OK(journal.prune(week, at(24h * 3650)));
    CHECK(journal.lookup("old-undelivered")->has_value());
    CHECK_FALSE(journal.lookup("new-delivered")->has_value());
}

TEST_CASE("start_new journals a new command directly as running, once") {
    TempDir dir;
    auto journal = open_journal(dir.file("journal.db"));
    auto s = spec("fast-1", "true");
    s.args = {"a"};
    REQUIRE_OK(journal.start_new(s, at(1s), at(2s)));
    auto record = must_find(journal, "fast-1");
    CHECK(record.state == S::running);
    CHECK(record.started_at == at(2s));
    CHECK(record.spec.args == s.args);
    CHECK_FALSE(journal.start_new(s, at(3s), at(3s)).has_value());
    CHECK_FALSE(journal.mark_running("fast-1", at(3s)).has_value());

    auto report = journal.recover_after_restart(at(5s));
    REQUIRE(report.has_value());
    CHECK(report->running_interrupted == 1);
    CHECK(must_find(journal, "fast-1").state == S::interrupted);
}

TEST_CASE("finish() records when the process really started, if the runner says so") {
    // The row's first started_at is the time `running` was journaled,
    // before the sync that makes it durable; the process starts after.
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::normal);
    REQUIRE_OK(journal);
    REQUIRE_OK(journal->start_new(spec("real"), at(), at(1ms)));
    REQUIRE_OK(journal->start_new(spec("unknown"), at(), at(1ms)));
    auto spawned = result(j::CommandState::succeeded, 900ms);
    spawned.started_at = at(250ms);
    REQUIRE_OK(journal->finish("real", spawned));
    REQUIRE_OK(journal->finish("unknown", result(j::CommandState::failed, 900ms)));
    auto real = journal->lookup("real");
    REQUIRE_OK(real);
    REQUIRE(real->has_value());
    CHECK((*real)->started_at == at(250ms));
    auto unknown = journal->lookup("unknown");
    REQUIRE_OK(unknown);
    REQUIRE(unknown->has_value());
    CHECK((*unknown)->started_at == at(1ms));  // kept
}

TEST_CASE(
    "apply_config_update keeps the overrides and the request_id in one commit, prune "
    "forgets only old request_ids") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::normal);
    REQUIRE_OK(journal);
    REQUIRE_OK(journal->apply_config_update("cu-old", at(), "runtime.overrides", "{\"a\":1}"));
    REQUIRE_OK(journal->apply_config_update("cu-new", at(2h), "runtime.overrides", "{\"a\":2}"));
    REQUIRE_OK(journal->put("config_updateX", "0"));  // not one of them, despite the look
    auto overrides = journal->get("runtime.overrides");
    REQUIRE_OK(overrides);
    CHECK(overrides->value_or("") == "{\"a\":2}");
    auto old_one = journal->config_update_applied("cu-old");
    REQUIRE_OK(old_one);
    CHECK(*old_one == at());
    CHECK_FALSE(journal->apply_config_update("x", at(), "config_update:y", "{}").has_value());

    REQUIRE_OK(journal->prune(1h, at(150min)));  // cu-old is 2.5 h old, cu-new 30 min
    auto gone = journal->config_update_applied("cu-old");
    REQUIRE_OK(gone);
    CHECK_FALSE(gone->has_value());
    auto kept = journal->config_update_applied("cu-new");
    REQUIRE_OK(kept);
    CHECK(kept->has_value());
    auto lookalike = journal->get("config_updateX");
    REQUIRE_OK(lookalike);
    CHECK(lookalike->has_value());
    overrides = journal->get("runtime.overrides");
    REQUIRE_OK(overrides);
    CHECK(overrides->has_value());
}
