#include "agent/protocol/rfc3339.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using outpost::protocol::ErrorCode;
using outpost::protocol::outbound::AckState;
using outpost::protocol::outbound::ResultState;

TEST_CASE("a command needing approval is held until execute_approved") {
    Fixture f;
    f.deliver(execute_json("ap-1", "append", {}, R"(,"requires_approval":true)"));
    CHECK(f.acks("ap-1")[0]->state == AckState::awaiting_approval);
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(100));
    CHECK(f.append_runs() == 0);
    // A redelivery while held says so and runs nothing.
    f.deliver(execute_json("ap-1", "append", {}, R"(,"requires_approval":true)"));
    CHECK(f.acks("ap-1").back()->state == AckState::awaiting_approval);

    f.deliver(message("execute_approved", R"({"request_id":"ap-1","approved_by":"alice"})"));
    CHECK(f.acks("ap-1").back()->state == AckState::accepted);
    REQUIRE(f.wait_results("ap-1"));
    CHECK(f.results("ap-1")[0]->state == ResultState::succeeded);
    CHECK(f.append_runs() == 1);
}

TEST_CASE("execute_approved for an unknown request is an unknown_request error") {
    Fixture f;
    f.deliver(message("execute_approved", R"({"request_id":"nope","approved_by":"alice"})"));
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "unknown_request");
    CHECK(f.errors()[0]->ref == "x-execute_approved");
}

TEST_CASE("cancel terminates a running command as cancelled") {
    Fixture f;
    f.deliver(execute_json("c-1", "sleep", {"30"}));
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(200));
    f.deliver(message("cancel", R"({"request_id":"c-1"})"));
    REQUIRE(f.wait_results("c-1", 1, std::chrono::seconds(10)));
    CHECK(f.results("c-1")[0]->state == ResultState::cancelled);
}

TEST_CASE("cancel of a held command finishes it as cancelled at once") {
    Fixture f;
    f.deliver(execute_json("c-2", "echo", {"x"}, R"(,"requires_approval":true)"));
    f.deliver(message("cancel", R"({"request_id":"c-2"})"));
    REQUIRE(f.results("c-2").size() == 1);
    CHECK(f.results("c-2")[0]->state == ResultState::cancelled);
    // Approval after cancel does not run it.
    f.deliver(message("execute_approved", R"({"request_id":"c-2","approved_by":"bob"})"));
    CHECK(f.acks("c-2").back()->state == AckState::duplicate);
}

TEST_CASE("cancel of a queued command finishes it without running") {
    Fixture f;  // max_concurrent 2
    f.deliver(execute_json("q-1", "sleep", {"5"}));
    f.deliver(execute_json("q-2", "sleep", {"5"}));
    f.deliver(execute_json("q-3", "append", {}));
    CHECK(f.acks("q-3")[0]->state == AckState::accepted);
    f.deliver(message("cancel", R"({"request_id":"q-3"})"));
    REQUIRE(f.results("q-3").size() == 1);
    CHECK(f.results("q-3")[0]->state == ResultState::cancelled);
    f.deliver(message("cancel", R"({"request_id":"q-1"})"));
    f.deliver(message("cancel", R"({"request_id":"q-2"})"));
    REQUIRE(f.wait_results("q-1"));
    REQUIRE(f.wait_results("q-2"));
    CHECK(f.append_runs() == 0);
}

TEST_CASE("cancel of an unknown or finished request is unknown_request") {
    Fixture f;
    f.deliver(message("cancel", R"({"request_id":"ghost"})"));
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "unknown_request");
    f.deliver(execute_json("done-1", "echo", {"x"}));
    REQUIRE(f.wait_results("done-1"));
    f.deliver(message("cancel", R"({"request_id":"done-1"})"));
    CHECK(f.errors().size() == 2);
}

TEST_CASE("counts for outpost status: running, queued, held, unacknowledged, no journal write") {
    Fixture f;  // max_concurrent 2
    f.deliver(execute_json("n-1", "sleep", {"5"}));
    f.deliver(execute_json("n-2", "sleep", {"5"}));
    f.deliver(execute_json("n-3", "append", {}));  // queued behind the two
    f.deliver(execute_json("n-4", "echo", {"x"}, R"(,"requires_approval":true)"));
    f.deliver(execute_json("n-5", "echo", {"x"}, R"(,"requires_approval":true)"));
    f.deliver(message("cancel", R"({"request_id":"n-5"})"));  // finished, not acknowledged
    auto counts = f.dispatcher->counts();
    CHECK(counts.running == 2);
    CHECK(counts.queued == 1);
    CHECK(counts.awaiting_approval == 1);
    CHECK(counts.results_unacknowledged == 1);
    CHECK(f.dispatcher->journal_problem().empty());

    f.deliver(message("result_ack", R"({"request_id":"n-5"})"));
    // The ack is pending in memory; counting must neither flush nor miss it.
    const std::size_t pending = f.journal->pending_delivery_marks();
    CHECK(f.dispatcher->counts().results_unacknowledged == 0);
    CHECK(f.dispatcher->health().checks.database == outpost::protocol::outbound::CheckResult::ok);
    CHECK(f.journal->pending_delivery_marks() == pending);
}

TEST_CASE("counts without a journal: the problem is named, nothing counted from it") {
    Fixture f(false);
    CHECK_FALSE(f.dispatcher->journal_problem().empty());
    CHECK(f.dispatcher->counts().awaiting_approval == 0);
    CHECK(f.dispatcher->health().checks.database == outpost::protocol::outbound::CheckResult::fail);
}

TEST_CASE("approved while every slot is busy: queued in the journal, one result, no expiry") {
    Fixture f;  // max_concurrent 2
    f.deliver(execute_json("busy-1", "sleep", {"30"}));
    f.deliver(execute_json("busy-2", "sleep", {"30"}));
    // Its approval deadline (not_after) passes while it waits for a slot.
    const std::string not_after = outpost::protocol::format_rfc3339(
        std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
    f.deliver(execute_json("ap-q", "append", {},
                           R"(,"requires_approval":true,"not_after":")" + not_after + "\""));
    f.deliver(message("execute_approved", R"({"request_id":"ap-q","approved_by":"alice"})"));
    CHECK(f.acks("ap-q").back()->state == AckState::accepted);
    CHECK(f.journal->lookup("ap-q")->value().state == outpost::journal::CommandState::queued);

    // A second approval and a redelivered execute are answered, nothing more.
    f.deliver(message("execute_approved", R"({"request_id":"ap-q","approved_by":"alice"})"));
    CHECK(f.acks("ap-q").back()->state == AckState::accepted);
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(2000));
    f.dispatcher->maintain(std::chrono::hours(24));  // expires held commands: not this one
    CHECK(f.results("ap-q").empty());

    f.deliver(message("cancel", R"({"request_id":"busy-1"})"));
    REQUIRE(f.wait_results("ap-q"));
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(300));
    REQUIRE(f.results("ap-q").size() == 1);
    CHECK(f.results("ap-q")[0]->state == ResultState::succeeded);
    CHECK(f.append_runs() == 1);
    f.deliver(message("cancel", R"({"request_id":"busy-2"})"));
    REQUIRE(f.wait_results("busy-2"));
}
