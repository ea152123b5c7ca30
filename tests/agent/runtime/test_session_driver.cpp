// SessionDriver driven in-process: a test transport stands in for the
// control plane's end of the WebSocket (the only double here), a fake clock
// and its timers for time. Everything between them is the real driver, the
// real session policy, the real parser and encoder, and a real token
// provider. The integration tests keep covering the real TLS transport.
#include <catch2/catch.hpp>

#include "driver_harness.hpp"

using namespace outpost;
using namespace std::chrono_literals;
using session::testing::FakeClock;
using session::testing::FakeRandom;
using transport::ConnectionState;
using namespace outpost::runtime::testing;

TEST_CASE("session driver: nothing but hello goes out before welcome", "[session_driver]") {
    Harness h;
    h.open();
    CHECK(h.connection->url == "wss://hub.example.com/v1/agent");
    CHECK(h.connection->tokens.front() == "tok-1");
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});

    // The rest of the agent cannot send, the server's ping is not answered,
    // and a command is not handed on, until welcome.
    CHECK_FALSE(h.driver->send(protocol::outbound::Pong{"x"}));
    CHECK_FALSE(h.driver->send_encoded(R"({"type":"pong"})"));
    CHECK_FALSE(h.driver->send_probe().has_value());
    h.connection->receive(envelope("ping", "p-0", "{}"));
    h.connection->receive(envelope("health_check", "h-0", R"({"request_id":"r-0"})"));
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});
    CHECK(h.dispatched.empty());

    // Welcome: the session's status first, then the server's ping is
    // answered and other messages reach the dispatcher.
    h.connection->receive(welcome());
    CHECK(h.driver->online());
    h.connection->receive(envelope("ping", "p-1", "{}"));
    h.connection->receive(envelope("health_check", "h-1", R"({"request_id":"r-1"})"));
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello", "status", "pong"});
    CHECK(h.connection->sent.back().find(R"("ref":"p-1")") != std::string::npos);
    CHECK(h.dispatched == std::vector<std::string>{"health_check"});
}

TEST_CASE("session driver: no welcome within welcome_timeout closes with 1002, then backs off",
          "[session_driver]") {
    Harness h;
    h.open();
    h.timeline.advance(9999ms);
    CHECK_FALSE(h.connection->closed_with);
    h.timeline.advance(1ms);
    REQUIRE(h.connection->closed_with == 1002);
    CHECK(h.driver->snapshot().state == session::State::backoff);
    CHECK(h.connection->sent_types() == std::vector<std::string>{"hello"});

    // The next attempt after the backoff (reconnect.initial, 1 s, at the top
    // of its jitter), with a fresh token (auth.mode exchange: only when
    // needed, and the first is still good).
    h.connection->finish_closing();
    h.timeline.advance(999ms);
    CHECK(h.connection->tokens.size() == 1);
    h.timeline.advance(1ms);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-1"});
    CHECK(h.token_posts == 1);
}

TEST_CASE("session driver: 4001 refreshes the token and reconnects at once", "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.connection->peer_closes(4001, "token expired");
    CHECK_FALSE(h.driver->online());
    h.timeline.advance(0ms);
    CHECK(h.token_posts == 2);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-2"});

    // A second 4001 within min_4001_interval (10 s) waits for the rest of it.
    h.connection->accept();
    h.connection->receive(welcome());
    h.connection->peer_closes(4001, "token expired");
    h.timeline.advance(9999ms);
    CHECK(h.connection->tokens.size() == 2);
    h.timeline.advance(1ms);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-2", "tok-3"});
}

TEST_CASE("session driver: an ordinary close keeps the token and waits the backoff",
          "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.connection->peer_closes(1000, "bye");
    h.timeline.advance(999ms);
    CHECK(h.connection->tokens.size() == 1);
    h.timeline.advance(1ms);
    CHECK(h.connection->tokens == std::vector<std::string>{"tok-1", "tok-1"});
    CHECK(h.token_posts == 1);
}

TEST_CASE("session driver: pings after heartbeat_s of quiet, drops a silent peer after 3x",
          "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.timeline.advance(14s);
    CHECK(h.connection->sent.empty());
    h.timeline.advance(1s);
    CHECK(h.connection->sent_types() == std::vector<std::string>{"ping"});

    // Any inbound message is proof of life and puts the deadline back.
    h.timeline.advance(29s);
    h.connection->receive(envelope("pong", "q-1", R"({"ref":"x"})"));
    h.timeline.advance(44s);
    CHECK(h.connection->aborts == 0);
    CHECK(h.driver->online());
    h.timeline.advance(1s);
    CHECK(h.connection->aborts == 1);
    CHECK_FALSE(h.driver->online());
}

namespace {

// An outbox message of about `bytes`, as OutboxSender hands it over.
std::string large_report(std::size_t bytes, int n) {
    return envelope("telemetry", "t-" + std::to_string(n),
                    R"({"pad":")" + std::string(bytes, 'x') + R"("})");
}

// The peer stops reading; three reports of 800 kB put the queue over the
// mark (2 x the default 1 MiB max_message_bytes).
void fill_past_the_mark(Harness& h) {
    h.connection->stop_reading();
    for (int n = 1; n <= 3; ++n) {
        REQUIRE_FALSE(h.driver->backpressured());
        REQUIRE(h.driver->send_encoded(large_report(800'000, n)));
    }
    REQUIRE(h.driver->backpressured());
}

}  // namespace

TEST_CASE("session driver: over the send queue's mark nothing more is queued, pongs included",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    fill_past_the_mark(h);
    const size_t queued = h.connection->queued_bytes();
    // The server keeps pinging: its pings go unanswered, not queued.
    for (int i = 0; i < 1000; ++i) {
        h.connection->receive(envelope("ping", "p-" + std::to_string(i), "{}"));
    }
    CHECK_FALSE(h.driver->send_encoded(large_report(10, 4)));
    CHECK_FALSE(h.driver->send(protocol::outbound::Pong{"p-x"}));
    CHECK_FALSE(h.driver->send_probe().has_value());
    CHECK(h.connection->queued_bytes() == queued);
    CHECK(h.connection->sent.size() == 3);

    // Drained: everything goes out again.
    h.connection->read_everything();
    CHECK_FALSE(h.driver->backpressured());
    h.connection->receive(envelope("ping", "p-again", "{}"));
    CHECK(h.connection->sent.size() == 4);
    CHECK(h.connection->sent.back().find(R"("ref":"p-again")") != std::string::npos);
}

TEST_CASE("session driver: over the mark, acks use a small reserve that pings cannot fill",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    // Just over the mark (2 x the default 1 MiB), well inside the reserve.
    h.connection->stop_reading();
    REQUIRE(h.driver->send_encoded(large_report(800'000, 1)));
    REQUIRE(h.driver->send_encoded(large_report(800'000, 2)));
    REQUIRE(h.driver->send_encoded(large_report(497'400, 3)));
    REQUIRE(h.driver->backpressured());
    const size_t at_mark = h.connection->queued_bytes();
    REQUIRE(at_mark < 2 * 1024 * 1024 + 1024);
    // A flood of pings takes nothing: pongs never use the reserve.
    for (int i = 0; i < 100; ++i) {
        h.connection->receive(envelope("ping", "p-" + std::to_string(i), "{}"));
    }
    CHECK(h.connection->queued_bytes() == at_mark);
    // An ack is a config_update's or a held command's only answer: it goes.
    CHECK(h.driver->send(protocol::outbound::CommandAck{
        "r-1", protocol::outbound::AckState::accepted, std::nullopt}));
    CHECK(h.connection->sent.back().find(R"("request_id":"r-1")") != std::string::npos);
    // The reserve is bounded: acks stop before the queue holds 64 KiB more
    // (plus one message), and results still wait in the journal.
    int acks = 1;
    while (h.driver->send(protocol::outbound::CommandAck{
        "r-" + std::to_string(++acks), protocol::outbound::AckState::accepted, std::nullopt})) {
        REQUIRE(acks < 10'000);
    }
    CHECK(acks > 100);
    CHECK(h.connection->queued_bytes() < at_mark + 64 * 1024 + 1024);
    CHECK_FALSE(h.driver->send_encoded(large_report(10, 9)));
}

TEST_CASE(
    "session driver: a queue over the mark for 3 x heartbeat is dropped, though the "
    "server keeps pinging",
    "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();  // heartbeat 15 s
    fill_past_the_mark(h);
    for (int second = 1; second < 45; ++second) {
        h.timeline.advance(1s);
        h.connection->receive(envelope("ping", "p-" + std::to_string(second), "{}"));
    }
    CHECK(h.connection->aborts == 0);
    CHECK(h.driver->online());
    h.timeline.advance(1s);
    CHECK(h.connection->aborts == 1);  // dropped, no close frame: it could not be written
    CHECK_FALSE(h.driver->online());
    CHECK(h.driver->snapshot().last_error->what == "write stalled");

    // Reconnects like after a dead peer; the new connection starts clean.
    h.connection->finish_closing();
    h.connection->read_everything();
    h.timeline.advance(1min);
    REQUIRE(h.connection->state() == ConnectionState::kConnecting);
    h.connection->accept();
    CHECK_FALSE(h.driver->backpressured());
}

TEST_CASE("session driver: a queue that drains below the mark in time is kept",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    fill_past_the_mark(h);
    h.timeline.advance(40s);
    h.connection->receive(envelope("ping", "p-1", "{}"));
    h.connection->read_everything();  // a slow reader, not a dead one
    h.timeline.advance(5s);
    h.connection->receive(envelope("ping", "p-2", "{}"));
    h.timeline.advance(10s);
    h.connection->receive(envelope("ping", "p-3", "{}"));
    h.timeline.advance(10s);
    CHECK(h.connection->aborts == 0);
    CHECK(h.driver->online());
}

TEST_CASE("session driver: a graceful stop says offline, then closes with 1001",
          "[session_driver]") {
    Harness h;
    h.open_and_welcome();
    h.driver->shutdown("agent stopping");
    CHECK(h.connection->sent_types() == std::vector<std::string>{"status"});
    CHECK(h.connection->sent.back().find(R"("offline")") != std::string::npos);
    CHECK(h.driver->flushed());
    h.driver->close_for_shutdown();
    CHECK(h.connection->closed_with == 1001);
    h.connection->finish_closing();
    CHECK(h.driver->idle());
    // Terminal: no further attempt, however long.
    h.timeline.advance(1h);
    CHECK(h.connection->tokens.size() == 1);
}

TEST_CASE("session driver: over the mark, a stream_end uses the reply reserve",
          "[session_driver][backpressure]") {
    Harness h;
    h.open_and_welcome();
    h.connection->stop_reading();
    REQUIRE(h.driver->send_encoded(large_report(800'000, 1)));
    REQUIRE(h.driver->send_encoded(large_report(800'000, 2)));
    REQUIRE(h.driver->send_encoded(large_report(497'400, 3)));
    REQUIRE(h.driver->backpressured());
    // The only answer a server gets to a refused or stopped stream (§3.3).
    CHECK(h.driver->send(protocol::outbound::StreamEnd{"s-1", "stopped"}));
    CHECK(h.connection->sent.back().find(R"("stream_id":"s-1")") != std::string::npos);
    // A log_line is not a reply: it waits for the queue to drain.
    CHECK_FALSE(h.driver->send(protocol::outbound::LogLine{"s-2", "text", "2026-12-08T00:00:00Z"}));
}
