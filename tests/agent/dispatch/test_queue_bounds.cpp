// Issue 14, defect 3: the queue of commands and the stdin the agent holds are
// bounded (executor.max_queued, executor.max_queued_stdin_bytes); a command
// past a bound is rejected through the ordinary reject path.

#include <string>

#include "agent/dispatch/queue_bounds.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using outpost::dispatch::QueueBounds;
using outpost::dispatch::QueueLimits;
using outpost::protocol::outbound::AckState;
using outpost::protocol::outbound::ResultState;

namespace {

// `"stdin": "xxx…"` of `bytes` bytes, for execute_json's `extra`.
std::string stdin_of(std::size_t bytes) {
    return R"(,"stdin":")" + std::string(bytes, 'x') + "\"";
}

}  // namespace

TEST_CASE("QueueBounds: the queue bound applies only to a command that must wait") {
    QueueBounds bounds(QueueLimits{.max_queued = 2, .max_queued_stdin_bytes = 100});
    CHECK_FALSE(bounds.refusal(true, 1, 0));
    CHECK_FALSE(bounds.refusal(false, 2, 0));  // a free slot: it does not queue
    auto full = bounds.refusal(true, 2, 0);
    REQUIRE(full);
    CHECK(*full ==
          "the agent's command queue is full (executor.max_queued: 2 commands waiting); "
          "nothing was run");
}

TEST_CASE("QueueBounds: stdin is counted from hold to release, once per request_id") {
    QueueBounds bounds(QueueLimits{.max_queued = 8, .max_queued_stdin_bytes = 100});
    CHECK_FALSE(bounds.refusal(false, 0, 100));  // exactly the bound fits
    auto too_big = bounds.refusal(false, 0, 101);
    REQUIRE(too_big);
    CHECK(too_big->find("executor.max_queued_stdin_bytes: 100 bytes") != std::string::npos);
    bounds.hold("a", 60);
    bounds.hold("a", 60);  // counted once
    CHECK(bounds.held_stdin_bytes() == 60);
    CHECK_FALSE(bounds.refusal(true, 0, 40));
    auto over = bounds.refusal(true, 0, 41);
    REQUIRE(over);
    CHECK(over->find("60 held, this command's 41 would exceed it") != std::string::npos);
    bounds.release("unknown");
    bounds.release("a");
    bounds.release("a");
    CHECK(bounds.held_stdin_bytes() == 0);
    CHECK_FALSE(bounds.refusal(true, 0, 100));
}

TEST_CASE("QueueBounds: commands awaiting approval are bounded by max_queued too") {
    QueueBounds bounds(QueueLimits{.max_queued = 2, .max_queued_stdin_bytes = 100});
    CHECK_FALSE(bounds.held_refusal(1));
    auto full = bounds.held_refusal(2);
    REQUIRE(full);
    CHECK(full->find("executor.max_queued: 2 commands waiting") != std::string::npos);
}

TEST_CASE("past executor.max_queued a command is rejected with the bound, journaled, never run") {
    Fixture f(true, std::nullopt, 1024 * 1024, {.sync = outpost::journal::SyncMode::normal},
              QueueLimits{.max_queued = 3});  // max_concurrent 2
    for (int i = 0; i < 5; ++i) f.deliver(execute_json("s-" + std::to_string(i), "sleep", {"30"}));
    for (int i = 0; i < 5; ++i) {
        REQUIRE(f.acks("s-" + std::to_string(i)).size() == 1);
        CHECK(f.acks("s-" + std::to_string(i))[0]->state == AckState::accepted);
    }
    f.deliver(execute_json("over", "append", {}));
    REQUIRE(f.acks("over").size() == 1);
    CHECK(f.acks("over")[0]->state == AckState::rejected);
    CHECK(f.acks("over")[0]->reason ==
          "the agent's command queue is full (executor.max_queued: 3 commands waiting); "
          "nothing was run");
    REQUIRE(f.results("over").size() == 1);
    CHECK(f.results("over")[0]->state == ResultState::rejected);
    CHECK(f.journal->lookup("over").value()->state == outpost::journal::CommandState::rejected);

    // Room again (a queued one cancelled): the refused id stays refused,
    // answered from the journal; a new id is taken.
    f.deliver(message("cancel", R"({"request_id":"s-4"})"));
    f.deliver(execute_json("over", "append", {}));
    CHECK(f.acks("over").back()->state == AckState::duplicate);
    CHECK(f.results("over").size() == 2);
    CHECK(f.results("over").back()->state == ResultState::rejected);
    f.deliver(execute_json("fits", "append", {}));
    CHECK(f.acks("fits")[0]->state == AckState::accepted);
    for (int i = 0; i < 4; ++i)
        f.deliver(message("cancel", R"({"request_id":"s-)" + std::to_string(i) + "\"}"));
    REQUIRE(f.wait_results("fits"));
    CHECK(f.results("fits")[0]->state == ResultState::succeeded);
    CHECK(f.append_runs() == 1);  // only "fits" ran
}

TEST_CASE("past executor.max_queued_stdin_bytes a command is rejected, room comes back after") {
    Fixture f(true, std::nullopt, 1024 * 1024, {.sync = outpost::journal::SyncMode::normal},
              QueueLimits{.max_queued = 64, .max_queued_stdin_bytes = 3000});
    // Two run (their stdin counts until they end), one waits.
    for (int i = 0; i < 3; ++i)
        f.deliver(execute_json("in-" + std::to_string(i), "sleep", {"30"}, stdin_of(1000)));
    for (int i = 0; i < 3; ++i)
        CHECK(f.acks("in-" + std::to_string(i))[0]->state == AckState::accepted);
    f.deliver(execute_json("heavy", "sleep", {"30"}, stdin_of(1)));
    REQUIRE(f.acks("heavy").size() == 1);
    CHECK(f.acks("heavy")[0]->state == AckState::rejected);
    CHECK(f.acks("heavy")[0]->reason ==
          "the agent holds too much stdin of unfinished commands "
          "(executor.max_queued_stdin_bytes: 3000 bytes; 3000 held, this command's 1 would "
          "exceed it); nothing was run");
    // A command without stdin still fits.
    f.deliver(execute_json("light", "sleep", {"30"}));
    CHECK(f.acks("light")[0]->state == AckState::accepted);
    CHECK(f.dispatcher->counts().queued == 2);

    // A running one ends: its stdin no longer counts.
    f.deliver(message("cancel", R"({"request_id":"in-0"})"));
    REQUIRE(f.wait_results("in-0", 1, std::chrono::seconds(10)));
    f.deliver(execute_json("later", "sleep", {"30"}, stdin_of(1000)));
    CHECK(f.acks("later")[0]->state == AckState::accepted);
    for (const char* id : {"in-1", "in-2", "light", "later"}) {
        f.deliver(message("cancel", std::string(R"({"request_id":")") + id + "\"}"));
    }
    for (const char* id : {"in-1", "in-2", "light", "later"}) REQUIRE(f.wait_results(id));
}

TEST_CASE("the journal does not keep the stdin of a queued or running command") {
    Fixture f;  // max_concurrent 2
    for (int i = 0; i < 3; ++i)
        f.deliver(execute_json("j-" + std::to_string(i), "sleep", {"30"}, stdin_of(4096)));
    // Never started from the journal (a restart makes them interrupted), so
    // the journal need not grow with stdin under a flood.
    for (int i = 0; i < 3; ++i) {
        auto row = f.journal->lookup("j-" + std::to_string(i));
        REQUIRE(row.has_value());
        REQUIRE(row->has_value());
        CHECK((*row)->spec.stdin_data.empty());
    }
    CHECK(f.dispatcher->counts().queued == 1);
    for (int i = 0; i < 3; ++i)
        f.deliver(message("cancel", R"({"request_id":"j-)" + std::to_string(i) + "\"}"));
    for (int i = 0; i < 3; ++i) REQUIRE(f.wait_results("j-" + std::to_string(i)));
}

TEST_CASE("an approval that would go past executor.max_queued is rejected, not queued") {
    Fixture f(true, std::nullopt, 1024 * 1024, {.sync = outpost::journal::SyncMode::normal},
              QueueLimits{.max_queued = 1});  // max_concurrent 2
    f.deliver(execute_json("held", "append", {}, R"(,"requires_approval":true)"));
    CHECK(f.acks("held")[0]->state == AckState::awaiting_approval);
    for (const char* id : {"r-1", "r-2", "r-3"}) f.deliver(execute_json(id, "sleep", {"30"}));
    CHECK(f.acks("r-3")[0]->state == AckState::accepted);  // the one queued
    f.deliver(message("execute_approved", R"({"request_id":"held","approved_by":"alice"})"));
    REQUIRE(f.results("held").size() == 1);
    CHECK(f.results("held")[0]->state == ResultState::rejected);
    CHECK(f.results("held")[0]->reason ==
          "the agent's command queue is full (executor.max_queued: 1 commands waiting); "
          "nothing was run");
    for (const char* id : {"r-1", "r-2", "r-3"}) {
        f.deliver(message("cancel", std::string(R"({"request_id":")") + id + "\"}"));
    }
    for (const char* id : {"r-1", "r-2", "r-3"}) REQUIRE(f.wait_results(id));
    CHECK(f.append_runs() == 0);
}

TEST_CASE("past executor.max_queued commands awaiting approval a new held one is rejected") {
    Fixture f(true, std::nullopt, 1024 * 1024, {.sync = outpost::journal::SyncMode::normal},
              QueueLimits{.max_queued = 2});
    // Held commands wait in the journal: a server asking approval for each
    // could otherwise fill it without end.
    for (const char* id : {"h-1", "h-2", "h-3"}) {
        f.deliver(execute_json(id, "append", {}, R"(,"requires_approval":true)"));
    }
    CHECK(f.acks("h-1")[0]->state == AckState::awaiting_approval);
    CHECK(f.acks("h-2")[0]->state == AckState::awaiting_approval);
    REQUIRE(f.acks("h-3").size() == 1);
    CHECK(f.acks("h-3")[0]->state == AckState::rejected);
    CHECK(f.acks("h-3")[0]->reason ==
          "the agent holds too many commands awaiting approval (executor.max_queued: 2 commands "
          "waiting); nothing was run");
    REQUIRE(f.results("h-3").size() == 1);
    CHECK(f.results("h-3")[0]->state == ResultState::rejected);
    // One held command cancelled: room for a new one; the refused id stays refused.
    f.deliver(message("cancel", R"({"request_id":"h-1"})"));
    f.deliver(execute_json("h-3", "append", {}, R"(,"requires_approval":true)"));
    CHECK(f.acks("h-3").back()->state == AckState::duplicate);
    f.deliver(execute_json("h-4", "append", {}, R"(,"requires_approval":true)"));
    CHECK(f.acks("h-4")[0]->state == AckState::awaiting_approval);
    CHECK(f.append_runs() == 0);
}
