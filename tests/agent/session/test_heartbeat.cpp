// Welcome timeout, app-level ping schedule and dead-peer detection (§3.1, §3.2).
#include <catch2/catch.hpp>

#include "agent/session/heartbeat.hpp"
#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

TEST_CASE("heartbeat interval: default 30 s, clamped to [1 s, 1 h]") {
    CHECK(Heartbeat::interval_from(std::nullopt) == 30s);
    CHECK(Heartbeat::interval_from(15) == 15s);
    CHECK(Heartbeat::interval_from(0) == 1s);
    CHECK(Heartbeat::interval_from(-7) == 1s);
    CHECK(Heartbeat::interval_from(10'000'000'000) == 3600s);
}

TEST_CASE("heartbeat pure schedule: ping every interval, dead after 3 intervals") {
    const std::chrono::steady_clock::time_point t0{std::chrono::hours{5}};
    Heartbeat hb;
    CHECK_FALSE(hb.ping_due(t0 + 1h));  // not started
    CHECK_FALSE(hb.peer_dead(t0 + 1h));
    hb.start(t0, 10s);
    CHECK(hb.next_ping_due() == t0 + 10s);
    CHECK(hb.dead_deadline() == t0 + 30s);
    hb.on_ping_sent(t0 + 10s);
    CHECK(hb.next_ping_due() == t0 + 20s);
    hb.on_inbound(t0 + 25s);
    CHECK(hb.dead_deadline() == t0 + 55s);
    hb.on_inbound(t0 + 5s);  // out of order: never moves the deadline back
    CHECK(hb.dead_deadline() == t0 + 55s);
    hb.stop();
    CHECK_FALSE(hb.peer_dead(t0 + 1h));
}

TEST_CASE("welcome timeout: nothing at 9.999 s, close and back off at 10 s") {
    Harness h;
    h.fail_times(2);
    (void)h.policy.on_connect_attempt();
    const Decision up = h.policy.on_established("outpost.v1");
    CHECK(up.action == Action::none);
    CHECK(h.policy.state() == State::awaiting_welcome);
    CHECK(h.policy.next_deadline() == h.clock.now() + 10s);
    h.clock.advance(9999ms);
    CHECK(h.policy.on_tick().decision.action == Action::none);
    CHECK(h.policy.state() == State::awaiting_welcome);
    h.clock.advance(1ms);
    const TickResult tick = h.policy.on_tick();
    CHECK(tick.decision.action == Action::close_then_wait);
    CHECK(tick.decision.close_code == close_protocol_error);
    CHECK(tick.decision.delay == 4000ms);  // attempt 3
    CHECK_FALSE(tick.send_ping);
    CHECK(h.policy.state() == State::backoff);
    CHECK(h.policy.snapshot().last_error->what == "no welcome in time");
}

TEST_CASE("welcome timeout is not extended by other inbound messages") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    (void)h.policy.on_established("outpost.v1");
    h.clock.advance(5s);
    h.policy.on_inbound_message();
    h.clock.advance(5s);
    CHECK(h.policy.on_tick().decision.action == Action::close_then_wait);
}

TEST_CASE("pings go out every heartbeat_s after welcome") {
    Harness h;
    h.go_online(30);
    h.clock.advance(29s);
    h.policy.on_inbound_message();
    CHECK_FALSE(h.policy.on_tick().send_ping);
    h.clock.advance(1s);
    CHECK(h.policy.on_tick().send_ping);        // t=30
    CHECK_FALSE(h.policy.on_tick().send_ping);  // already sent
    h.clock.advance(1s);
    CHECK_FALSE(h.policy.on_tick().send_ping);
    h.clock.advance(28s);
    h.policy.on_inbound_message();
    CHECK_FALSE(h.policy.on_tick().send_ping);  // t=59
    h.clock.advance(1s);
    CHECK(h.policy.on_tick().send_ping);  // t=60
}

TEST_CASE("no welcome heartbeat_s: pings every 30 s") {
    Harness h;
    h.go_online(std::nullopt);
    h.clock.advance(29999ms);
    CHECK_FALSE(h.policy.on_tick().send_ping);
    h.clock.advance(1ms);
    CHECK(h.policy.on_tick().send_ping);
}

TEST_CASE("dead peer: nothing inbound for 3 x heartbeat drops the connection") {
    Harness h;
    h.fail_times(2);
    h.go_online(10);
    h.clock.advance(29999ms);
    CHECK(h.policy.on_tick().decision.action == Action::none);
    CHECK(h.policy.state() == State::online);
    h.clock.advance(1ms);
    const TickResult tick = h.policy.on_tick();
    CHECK(tick.decision.action == Action::drop_then_wait);
    CHECK(tick.decision.delay == 4000ms);  // normal backoff, attempt 3
    CHECK(h.policy.state() == State::backoff);
}

TEST_CASE("dead peer deadline is reset by any inbound message") {
    Harness h;
    h.go_online(10);
    h.clock.advance(25s);
    h.policy.on_inbound_message();  // deadline moves to 55 s
    h.clock.advance(29999ms);
    CHECK(h.policy.on_tick().decision.action == Action::none);
    h.clock.advance(1ms);
    CHECK(h.policy.on_tick().decision.action == Action::drop_then_wait);
}

TEST_CASE("our own pings do not keep a silent peer alive") {
    Harness h;
    h.go_online(10);
    for (int i = 0; i < 2; ++i) {
        h.clock.advance(10s);
        const TickResult tick = h.policy.on_tick();
        CHECK(tick.send_ping);
        CHECK(tick.decision.action == Action::none);
    }
    h.clock.advance(10s);
    CHECK(h.policy.on_tick().decision.action == Action::drop_then_wait);
}

TEST_CASE("heartbeat stops when the connection ends") {
    Harness h;
    h.go_online(10);
    (void)h.policy.on_peer_close(1000);
    h.clock.advance(1h);
    const TickResult tick = h.policy.on_tick();
    CHECK_FALSE(tick.send_ping);
    CHECK(tick.decision.action == Action::none);
}

TEST_CASE("next_deadline while online is the next ping") {
    Harness h;
    h.go_online(20);
    CHECK(h.policy.next_deadline() == h.clock.now() + 20s);
}
