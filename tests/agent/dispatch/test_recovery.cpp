#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using outpost::protocol::outbound::ResultState;

TEST_CASE("a command left running by a crash is finished as interrupted, never re-run") {
    Fixture f;
    outpost::journal::CommandSpec spec;
    spec.request_id = "crashed-1";
    spec.command = "append";
    auto now = std::chrono::system_clock::now();
    REQUIRE(f.journal->queue(spec, now).has_value());
    REQUIRE(f.journal->mark_running("crashed-1", now).has_value());

    f.dispatcher->recover();
    f.dispatcher->resend_undelivered();
    REQUIRE(f.results("crashed-1").size() == 1);
    CHECK(f.results("crashed-1")[0]->state == ResultState::interrupted);

    f.deliver(execute_json("crashed-1", "append", {}));
    CHECK(f.acks("crashed-1")[0]->state == outpost::protocol::outbound::AckState::duplicate);
    f.loop->run_until([] { return false; }, std::chrono::milliseconds(100));
    CHECK(f.append_runs() == 0);
}

TEST_CASE("results are re-sent until result_ack, and not after") {
    Fixture f;
    f.online = false;  // the result cannot go out now
    f.deliver(execute_json("rs-1", "echo", {"x"}));
    f.loop->run_until(
        [&] { return f.dispatcher->counts().running == 0 && f.dispatcher->backlog_results() == 1; },
        std::chrono::seconds(10));
    CHECK(f.dispatcher->backlog_results() == 1);
    f.online = true;
    f.dispatcher->resend_undelivered();
    REQUIRE(f.results("rs-1").size() == 1);
    f.dispatcher->resend_undelivered();
    CHECK(f.results("rs-1").size() == 2);  // still no ack: sent again
    f.deliver(
        R"({"type":"result_ack","id":"a1","ts":"2026-11-22T10:00:00Z","data":{"request_id":"rs-1"}})");
    CHECK(f.dispatcher->backlog_results() == 0);
    f.dispatcher->resend_undelivered();
    CHECK(f.results("rs-1").size() == 2);
}

namespace {

std::string result_ack_json(const std::string& request_id) {
    return R"({"type":"result_ack","id":"ack-)" + request_id +
           R"(","ts":"2026-11-22T10:00:00Z","data":{"request_id":")" + request_id + R"("}})";
}

}  // namespace

TEST_CASE("a result_ack writes nothing itself: the next journal write carries the mark") {
    Fixture f;
    f.deliver(execute_json("ra-1", "echo", {"x"}));
    REQUIRE(f.wait_results("ra-1"));
    f.deliver(result_ack_json("ra-1"));
    CHECK(f.journal->pending_delivery_marks() == 1);

    SECTION("the next execute's journal write") {
        f.deliver(execute_json("ra-2", "echo", {"y"}));
        CHECK(f.journal->pending_delivery_marks() == 0);
        REQUIRE(f.wait_results("ra-2"));
    }
    SECTION("periodic maintenance when no command follows") {
        f.dispatcher->maintain(std::chrono::hours(24));
        CHECK(f.journal->pending_delivery_marks() == 0);
    }
    SECTION("a pending mark is enough: the result is not re-sent after a welcome") {
        f.dispatcher->resend_undelivered();
        CHECK(f.results("ra-1").size() == 1);
        CHECK(f.dispatcher->backlog_results() == 0);
    }
    SECTION("a second ack while the first is pending is no error") {
        f.deliver(result_ack_json("ra-1"));
        CHECK(f.journal->pending_delivery_marks() == 1);
    }
    auto record = f.journal->lookup("ra-1");
    REQUIRE((record && *record));
    CHECK((*record)->result_delivered());
}
