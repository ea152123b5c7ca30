// The polling fallback's policy (protocol.md §7) over sequences of attempt
// outcomes, on a fake clock; and what poll_fallback changes in the session
// policy's reaction to an upgrade's status.
#include <catch2/catch.hpp>

#include "agent/session/fallback.hpp"
#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

namespace {

FallbackSettings with_poll_url(std::chrono::milliseconds poll_after = 5min) {
    FallbackSettings s;
    s.poll_configured = true;
    s.poll_after = poll_after;
    return s;
}

}  // namespace

TEST_CASE("fallback: without poll_url the WebSocket is the only transport, whatever happens") {
    FakeClock clock;
    FallbackPolicy policy(FallbackSettings{}, clock);
    for (int i = 0; i < 10; ++i) {
        CHECK_FALSE(policy.on_upgrade_failed(400));
        clock.advance(1h);
    }
    CHECK(policy.transport() == Transport::websocket);
    CHECK_FALSE(policy.probes_websocket());
    // transport: poll without poll_url is refused by the config; here it is inert.
    FallbackSettings only;
    only.poll_only = true;
    CHECK(FallbackPolicy(only, clock).transport() == Transport::websocket);
}

TEST_CASE(
    "fallback: transport poll polls from the start and probes the WebSocket in the background") {
    FakeClock clock;
    FallbackSettings s = with_poll_url();
    s.poll_only = true;
    FallbackPolicy policy(s, clock);
    CHECK(policy.transport() == Transport::poll);
    CHECK(policy.snapshot().reason == "server.transport: poll");
    CHECK(policy.snapshot().since == clock.wall_now());
    // §7: "falls back to polling [...] at once when server.transport: poll [...]
    // while it keeps trying the WebSocket in the background".
    CHECK(policy.probes_websocket());
    CHECK(policy.on_websocket_up());
    CHECK(policy.transport() == Transport::websocket);
}

TEST_CASE("fallback: three answers in a row that no outpost server sends start polling at once") {
    for (int status : {200, 400, 404, 426, 502}) {
        FakeClock clock;
        FallbackPolicy policy(with_poll_url(), clock);
        INFO(status);
        CHECK_FALSE(policy.on_upgrade_failed(status));
        CHECK_FALSE(policy.on_upgrade_failed(status));
        clock.advance(3s);
        CHECK(policy.on_upgrade_failed(status));
        CHECK(policy.transport() == Transport::poll);
        CHECK(policy.snapshot().reason == "3 upgrades answered " + std::to_string(status));
        CHECK(policy.snapshot().since == clock.wall_now());
        CHECK(policy.probes_websocket());
    }
}

TEST_CASE("fallback: the run of three is broken by any other outcome") {
    FakeClock clock;
    FallbackPolicy policy(with_poll_url(), clock);
    CHECK_FALSE(policy.on_upgrade_failed(400));
    CHECK_FALSE(policy.on_upgrade_failed(400));
    CHECK_FALSE(policy.on_upgrade_failed(std::nullopt));  // a TCP failure between
    CHECK_FALSE(policy.on_upgrade_failed(400));
    CHECK_FALSE(policy.on_upgrade_failed(503));  // a healthy server's answer
    CHECK_FALSE(policy.on_upgrade_failed(400));
    CHECK_FALSE(policy.on_upgrade_failed(400));
    CHECK(policy.transport() == Transport::websocket);
    CHECK(policy.on_upgrade_failed(400));
}

TEST_CASE("fallback: 101, 401, 403, 429 and 503 keep their protocol meaning") {
    for (int status : {101, 401, 403, 429, 503}) CHECK_FALSE(intermediary_status(status));
    for (int status : {200, 204, 301, 302, 400, 404, 405, 426, 500, 502, 504}) {
        CHECK(intermediary_status(status));
    }
}

TEST_CASE("fallback: failed upgrades for poll_after start polling, counted from the first") {
    FakeClock clock;
    FallbackPolicy policy(with_poll_url(5min), clock);
    CHECK_FALSE(policy.on_upgrade_failed(std::nullopt));
    clock.advance(4min + 59s);
    CHECK_FALSE(policy.on_upgrade_failed(502));
    clock.advance(1s);
    CHECK(policy.on_upgrade_failed(std::nullopt));
    CHECK(policy.transport() == Transport::poll);
    CHECK(policy.snapshot().reason == "upgrade failed for 5m");
}

TEST_CASE("fallback: the outpost server's own refusals never start polling, and end a run") {
    for (int status : {401, 403, 429, 503}) {
        INFO(status);
        FakeClock clock;
        FallbackPolicy policy(with_poll_url(5min), clock);
        // A maintenance window (or a rate limit, a revoked node) far longer
        // than poll_after: the upgrade path works, so still the WebSocket.
        for (int i = 0; i < 40; ++i) {
            CHECK_FALSE(policy.on_upgrade_failed(status));
            clock.advance(30s);
        }
        CHECK(policy.transport() == Transport::websocket);
        // It also resets the clock and the row of a run already going.
        CHECK_FALSE(policy.on_upgrade_failed(std::nullopt));
        clock.advance(4min);
        CHECK_FALSE(policy.on_upgrade_failed(400));
        CHECK_FALSE(policy.on_upgrade_failed(400));
        CHECK_FALSE(policy.on_upgrade_failed(status));
        clock.advance(4min);
        CHECK_FALSE(policy.on_upgrade_failed(std::nullopt));  // 0 min into a new run
        CHECK_FALSE(policy.on_upgrade_failed(400));           // 1 in a row, not 3
        CHECK(policy.transport() == Transport::websocket);
    }
}

TEST_CASE("fallback: a WebSocket session in between starts the count again") {
    FakeClock clock;
    FallbackPolicy policy(with_poll_url(5min), clock);
    CHECK_FALSE(policy.on_upgrade_failed(std::nullopt));
    CHECK_FALSE(policy.on_upgrade_failed(400));
    clock.advance(4min);
    CHECK_FALSE(policy.on_websocket_up());  // already the WebSocket: no switch
    clock.advance(2min);
    CHECK_FALSE(policy.on_upgrade_failed(400));  // a new run: 0 min, 1 in a row
    CHECK_FALSE(policy.on_upgrade_failed(400));
    CHECK(policy.transport() == Transport::websocket);
}

TEST_CASE(
    "fallback: while polling, background failures change nothing, a WebSocket switches back") {
    FakeClock clock;
    FallbackPolicy policy(with_poll_url(), clock);
    for (int i = 0; i < 3; ++i) static_cast<void>(policy.on_upgrade_failed(426));
    REQUIRE(policy.transport() == Transport::poll);
    for (int i = 0; i < 10; ++i) {
        CHECK_FALSE(policy.on_upgrade_failed(426));
        clock.advance(10min);
    }
    CHECK(policy.transport() == Transport::poll);
    CHECK(policy.on_websocket_up());
    CHECK(policy.transport() == Transport::websocket);
    CHECK(policy.snapshot().reason == "websocket back");
    CHECK(policy.snapshot().since == clock.wall_now());
    CHECK_FALSE(policy.probes_websocket());
    // And the next run counts from scratch.
    CHECK_FALSE(policy.on_upgrade_failed(426));
    CHECK_FALSE(policy.on_upgrade_failed(426));
    CHECK(policy.on_upgrade_failed(426));
}

TEST_CASE("session policy with poll_url: 400 and 426 to the upgrade back off, not incompatible") {
    for (int status : {400, 426, 404, 200}) {
        ReconnectSettings s;
        s.poll_fallback = true;
        Harness h(s);
        INFO(status);
        static_cast<void>(h.policy.on_connect_attempt());
        const Decision d = h.policy.on_upgrade_refused(status, std::nullopt);
        CHECK(h.policy.state() == State::backoff);
        CHECK(d.delay <= s.initial);
    }
    // Without poll_url, §1 unchanged.
    for (int status : {400, 426}) {
        Harness h;
        static_cast<void>(h.policy.on_connect_attempt());
        static_cast<void>(h.policy.on_upgrade_refused(status, std::nullopt));
        CHECK(h.policy.state() == State::incompatible);
    }
}

TEST_CASE("session policy while polling: a 426 to a poll is incompatible, no heartbeat online") {
    ReconnectSettings s;
    s.poll_fallback = true;
    Harness h(s);
    h.policy.set_polling(true);
    static_cast<void>(h.policy.on_connect_attempt());
    static_cast<void>(h.policy.on_upgrade_refused(426, std::nullopt));
    CHECK(h.policy.state() == State::incompatible);

    Harness online(s);
    online.policy.set_polling(true);
    online.go_online(30);
    CHECK_FALSE(online.policy.heartbeat().running());
    online.clock.advance(10min);
    const TickResult tick = online.policy.on_tick();
    CHECK_FALSE(tick.send_ping);
    CHECK(tick.decision.action == Action::none);
    CHECK(online.policy.state() == State::online);
}

TEST_CASE("session policy: the switch back to a WebSocket leaves the polling period") {
    ReconnectSettings s;
    s.poll_fallback = true;
    Harness h(s);
    h.policy.set_polling(true);
    h.go_online(30);
    REQUIRE(h.policy.on_transport_switch("background WebSocket up"));
    CHECK(h.policy.state() == State::connecting);
    CHECK_FALSE(h.policy.polling());
    static_cast<void>(h.policy.on_established("outpost.v1"));
    CHECK(h.policy.state() == State::awaiting_welcome);
    static_cast<void>(h.policy.on_welcome(Welcome{"outpost.v1", "s-2", 30}));
    CHECK(h.policy.heartbeat().running());
    static_cast<void>(h.policy.shutdown("stop"));
    CHECK_FALSE(h.policy.on_transport_switch("late"));
}
