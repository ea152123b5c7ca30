// The SessionDriver over the HTTPS polling fallback (protocol.md §7), in
// process (driver_harness.hpp): the test transport stands in for the
// polling period's connection as for the WebSocket's. PollConnection's own
// I/O is tested against a real HTTPS server in tests/agent/transport.
#include <catch2/catch.hpp>

#include "driver_harness.hpp"

using namespace outpost;
using namespace std::chrono_literals;
using namespace outpost::runtime::testing;

namespace {

const std::string kPollUrl = "  poll_url: https://hub.example.com/v1/poll\n";

std::string execute(std::string_view request_id) {
    return envelope(
        "execute", "e-1",
        R"({"request_id":")" + std::string(request_id) + R"(","command":"uptime","args":[]})");
}

// Three upgrades answered 400 (an intermediary that drops `Upgrade`): the
// third starts the first polling period at once.
void fall_back_after_three_400s(Harness& h) {
    h.driver->start();
    h.timeline.advance(0ms);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(h.connection->tokens.size() == static_cast<std::size_t>(i + 1));
        h.connection->refuse(400);
        CHECK(h.driver->snapshot().state == session::State::backoff);
        if (i < 2) h.timeline.advance(60s);  // the next attempt, whatever the jitter
    }
    h.timeline.advance(0ms);
}

}  // namespace

TEST_CASE("session driver: transport poll polls from the start, hello alone, then commands",
          "[session_driver][poll]") {
    Harness h(kPollUrl + "  transport: poll\n");
    h.driver->start();
    h.timeline.advance(0ms);
    REQUIRE(h.poll != nullptr);
    REQUIRE(h.poll->tokens.size() == 1);
    CHECK(h.poll->url == "https://hub.example.com/v1/poll");
    CHECK(h.connection->tokens.empty());  // polling first: no WebSocket attempt yet
    CHECK(h.driver->transport() == session::Transport::poll);
    CHECK(h.driver->snapshot().transport.reason == "server.transport: poll");

    h.poll->accept();
    CHECK(h.poll->sent_types() == std::vector<std::string>{"hello"});
    CHECK_FALSE(h.driver->send(protocol::outbound::Pong{"x"}));  // nothing until welcome
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    h.poll->receive(execute("r-1"));
    CHECK(h.dispatched == std::vector<std::string>{"execute"});
    CHECK(h.driver->send(protocol::outbound::Pong{"x"}));
    CHECK(h.poll->sent_types() == std::vector<std::string>{"hello", "status", "pong"});

    // heartbeat_s does not apply: no pings, no dead peer, however long.
    h.timeline.advance(30min);
    CHECK(h.driver->online());
    CHECK(h.poll->sent_types() == std::vector<std::string>{"hello", "status", "pong"});
    CHECK_FALSE(h.poll->closed_with);
    CHECK(h.poll->aborts == 0);
    // §7: meanwhile the WebSocket is tried in the background (it never comes up here).
    CHECK_FALSE(h.connection->tokens.empty());
    CHECK(h.driver->transport() == session::Transport::poll);
}

TEST_CASE("session driver: with poll_url, 3 upgrades answered 400 start polling, not incompatible",
          "[session_driver][poll]") {
    Harness h(kPollUrl);
    fall_back_after_three_400s(h);
    REQUIRE(h.poll->tokens.size() == 1);
    const session::SessionSnapshot snapshot = h.driver->snapshot();
    CHECK(snapshot.transport.transport == session::Transport::poll);
    CHECK(snapshot.transport.reason == "3 upgrades answered 400");
    CHECK(snapshot.transitions.count("incompatible") == 0);
    h.poll->accept();
    h.poll->receive(welcome());
    CHECK(h.driver->online());
}

TEST_CASE("session driver: without poll_url a 400 to the upgrade is still incompatible",
          "[session_driver][poll]") {
    Harness h;
    h.driver->start();
    h.timeline.advance(0ms);
    h.connection->refuse(400);
    CHECK(h.driver->snapshot().state == session::State::incompatible);
    CHECK(h.poll == nullptr);
}

TEST_CASE("session driver: upgrades failing for poll_after start polling",
          "[session_driver][poll]") {
    Harness h(kPollUrl + "  poll_after: 2m\n");
    h.driver->start();
    h.timeline.advance(0ms);
    int attempts = 0;
    while (h.poll->tokens.empty() && attempts < 50) {
        REQUIRE(h.connection->state() == transport::ConnectionState::kConnecting);
        h.connection->fail("connection refused");
        ++attempts;
        h.timeline.advance(60s);
    }
    REQUIRE(h.poll->tokens.size() == 1);
    CHECK(attempts == 3);  // at 0, 60 and 120 s: the third has failed for 2m
    CHECK(h.driver->snapshot().transport.reason == "upgrade failed for 2m");
}

TEST_CASE("session driver: a background WebSocket ends the polling period, then hello over it",
          "[session_driver][poll]") {
    Harness h(kPollUrl);
    fall_back_after_three_400s(h);
    h.poll->accept();
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    h.poll->sent.clear();

    // The background attempt, after the normal backoff.
    h.timeline.advance(60s);
    REQUIRE(h.connection->tokens.size() == 4);
    h.connection->accept();
    // The polling period is asked to end: the poll in flight finishes and
    // its answer is still handed on; nothing goes over the WebSocket yet.
    CHECK(h.poll->closed_with == 1000);
    CHECK(h.connection->sent.empty());
    h.poll->receive(execute("r-9"));
    CHECK(h.dispatched == std::vector<std::string>{"execute"});
    h.poll->finish_closing();

    // The session goes on over the WebSocket, hello first.
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});
    CHECK(h.driver->snapshot().state == session::State::awaiting_welcome);
    h.connection->receive(welcome());
    REQUIRE(h.driver->online());
    const session::SessionSnapshot snapshot = h.driver->snapshot();
    CHECK(snapshot.transport.transport == session::Transport::websocket);
    CHECK(snapshot.transport.reason == "websocket back");

    // No more polls, and the heartbeat is back.
    h.timeline.advance(16s);
    CHECK(h.poll->tokens.size() == 1);
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello", "status", "ping"});
}

TEST_CASE("session driver: a background attempt that fails keeps polling",
          "[session_driver][poll]") {
    Harness h(kPollUrl);
    fall_back_after_three_400s(h);
    h.poll->accept();
    h.poll->receive(welcome());
    h.timeline.advance(60s);
    REQUIRE(h.connection->tokens.size() == 4);
    h.connection->refuse(400);
    CHECK(h.driver->online());
    CHECK(h.driver->transport() == session::Transport::poll);
    h.timeline.advance(60s);
    CHECK(h.connection->tokens.size() == 5);  // and again, with the backoff
    CHECK(h.driver->online());
}

TEST_CASE("session driver: over polling the outbox's probe is confirmed by the 200 that carried it",
          "[session_driver][poll]") {
    Harness h(kPollUrl + "  transport: poll\n");
    std::vector<std::string> pongs;
    runtime::SessionDriver::Hooks hooks;
    hooks.on_pong = [&](std::string_view ref) { pongs.emplace_back(ref); };
    h.driver->set_hooks(std::move(hooks));
    h.driver->start();
    h.timeline.advance(0ms);
    h.poll->accept();
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    REQUIRE(h.driver->send_encoded(R"({"type":"telemetry"})"));
    auto probe = h.driver->send_probe();
    REQUIRE(probe.has_value());
    // No ping on the wire: hello, status, the telemetry.
    CHECK(h.poll->sent.size() == 3);
    h.poll->deliver(2);  // the poll that carried hello and status
    CHECK(pongs.empty());
    h.poll->deliver(3);
    CHECK(pongs == std::vector<std::string>{*probe});
}

TEST_CASE("session driver: a polling period that ends starts over with hello after the backoff",
          "[session_driver][poll]") {
    Harness h(kPollUrl + "  transport: poll\n");
    h.driver->start();
    h.timeline.advance(0ms);
    h.poll->accept();
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    h.poll->lose("the poll was answered with HTTP 409");
    CHECK(h.driver->snapshot().state == session::State::backoff);
    h.timeline.advance(1s);
    REQUIRE(h.poll->tokens.size() == 2);
    h.poll->sent.clear();
    h.poll->accept();
    CHECK(h.poll->sent_types() == std::vector<std::string>{"hello"});
}

TEST_CASE("session driver: a poll answered 426 is a version mismatch", "[session_driver][poll]") {
    Harness h(kPollUrl + "  transport: poll\n");
    h.driver->start();
    h.timeline.advance(0ms);
    h.poll->accept();
    h.poll->refuse(426);
    CHECK(h.driver->snapshot().state == session::State::incompatible);
}

TEST_CASE("session driver: a welcome naming another protocol over a poll is a version mismatch",
          "[session_driver][poll]") {
    Harness h(kPollUrl + "  transport: poll\n");
    h.driver->start();
    h.timeline.advance(0ms);
    h.poll->accept();
    h.poll->receive(envelope("welcome", "w-2",
                             R"({"protocol":"outpost.v9","session_id":"s-9",)"
                             R"("server_time":"2026-11-22T10:00:00Z"})"));
    CHECK_FALSE(h.driver->online());
    CHECK(h.poll->closed_with == 1002);
    CHECK(h.driver->snapshot().state == session::State::incompatible);
}

TEST_CASE("session driver: a poll answered 401 gets a fresh token and a new period at once",
          "[session_driver][poll]") {
    Harness h(kPollUrl + "  transport: poll\n");
    h.driver->start();
    h.timeline.advance(0ms);
    h.poll->accept();
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    h.poll->refuse(401);
    h.timeline.advance(0ms);
    CHECK(h.poll->tokens == std::vector<std::string>{"tok-1", "tok-2"});
    h.poll->sent.clear();
    h.poll->accept();
    CHECK(h.poll->sent_types() == std::vector<std::string>{"hello"});
}

TEST_CASE("session driver: each background attempt has its own fresh token, and a 401 retries once",
          "[session_driver][poll]") {
    Harness h(kPollUrl);
    fall_back_after_three_400s(h);
    REQUIRE(h.poll->tokens.size() == 1);
    h.poll->accept();
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    const int posts_before = h.token_posts;

    // §2: a fresh token for every connection attempt, not the polls' one.
    h.timeline.advance(60s);
    REQUIRE(h.connection->tokens.size() == 4);
    CHECK(h.token_posts == posts_before + 1);
    CHECK(h.connection->tokens[3] != h.poll->tokens[0]);

    // §1: a 401 gets another fresh token and one retry at once...
    h.connection->refuse(401);
    h.timeline.advance(0ms);
    REQUIRE(h.connection->tokens.size() == 5);
    CHECK(h.token_posts == posts_before + 2);
    CHECK(h.connection->tokens[4] != h.connection->tokens[3]);
    CHECK(h.connection->tokens[4] != h.poll->tokens[0]);

    // ...and only one: a second 401 waits for the backoff.
    h.connection->refuse(401);
    h.timeline.advance(0ms);
    CHECK(h.connection->tokens.size() == 5);
    CHECK(h.driver->online());
    CHECK(h.driver->transport() == session::Transport::poll);
    h.timeline.advance(60s);
    CHECK(h.connection->tokens.size() == 6);

    // The retried attempt that comes up ends the polling period as usual.
    h.connection->refuse(401);
    h.timeline.advance(0ms);
    REQUIRE(h.connection->tokens.size() == 7);
    h.connection->accept();
    h.poll->finish_closing();
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});
}

TEST_CASE("session driver: the switch back waits at most 3 s for a hung poll, then aborts it",
          "[session_driver][poll]") {
    Harness h(kPollUrl);
    fall_back_after_three_400s(h);
    h.poll->accept();
    h.poll->receive(welcome());
    REQUIRE(h.driver->online());
    h.timeline.advance(60s);
    REQUIRE(h.connection->tokens.size() == 4);
    h.connection->accept();
    CHECK(h.poll->closed_with == 1000);  // asked to end after the poll in flight
    h.timeline.advance(2900ms);
    CHECK(h.poll->aborts == 0);
    h.timeline.advance(200ms);
    CHECK(h.poll->aborts == 1);  // the poll hung: the WebSocket does not wait for its timeout
    h.poll->finish_closing();
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});
    h.connection->receive(welcome());
    CHECK(h.driver->online());
    CHECK(h.driver->transport() == session::Transport::websocket);
}
