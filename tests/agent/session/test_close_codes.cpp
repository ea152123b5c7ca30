// Every row of §6 plus the `reconnect` message (§3.3).
#include <catch2/catch.hpp>

#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

namespace {

// Two failed attempts, then online: the next backoff is attempt 3, whose
// ceiling (4 s) differs from `initial`, max/2, 30 s and 0.
void online_after_two_failures(Harness& h) {
    h.fail_times(2);
    h.go_online();
}

}  // namespace

TEST_CASE("close codes that mean plain backoff") {
    const int code = GENERATE(1000, 1008, 1009, 1011, 4000, 4002, 1005, 3000, 4099, 4999);
    CAPTURE(code);
    Harness h({}, TokenMode::jwt);
    h.fail_times(2);
    h.go_online();
    const Decision d = h.policy.on_peer_close(code, "bye");
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 4000ms);
    CHECK(*h.random.last_bound == 4000);
    CHECK_FALSE(d.refresh_token);
    CHECK(h.policy.state() == State::backoff);
    CHECK(h.policy.snapshot().last_close_code == code);
}

TEST_CASE("plain backoff close with a low draw reconnects at once") {
    Harness h({}, TokenMode::jwt, FakeRandom::Mode::low);
    h.go_online();
    const Decision d = h.policy.on_peer_close(1011);
    CHECK(d.action == Action::connect_now);
    CHECK(d.delay == 0ms);
}

TEST_CASE("1001 going away without a spread hint waits a draw in [0, initial]") {
    Harness h;
    h.fail_times(4);
    h.go_online();
    const Decision d = h.policy.on_peer_close(1001);
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 1000ms);
    CHECK(*h.random.last_bound == 1000);
    CHECK(h.policy.state() == State::backoff);
}

TEST_CASE("4001 refreshes the token and reconnects at once") {
    Harness h({}, TokenMode::exchange);
    h.go_online();
    const Decision d = h.policy.on_peer_close(4001, "token expired");
    CHECK(d.action == Action::connect_now);
    CHECK(d.delay == 0ms);
    CHECK(d.refresh_token);
    CHECK(h.policy.snapshot().auth_failures.at("close_4001") == 1);
    // exchange mode would reuse a young token, but this one was rejected.
    CHECK(h.policy.on_connect_attempt().fetch_token);
}

TEST_CASE("4001 reconnects at most once per 10 s") {
    Harness h({}, TokenMode::exchange);
    h.go_online();
    CHECK(h.policy.on_peer_close(4001).delay == 0ms);  // reconnect at t=0
    h.go_online();
    h.clock.advance(3s);
    const Decision second = h.policy.on_peer_close(4001);
    CHECK(second.action == Action::wait_then_connect);
    CHECK(second.delay == 7000ms);  // the remainder of 10 s
    CHECK(second.refresh_token);
    h.clock.advance(7s);  // that reconnect happens at t=10
    h.go_online();
    h.clock.advance(2s);  // t=12: 2 s after the last 4001 reconnect
    CHECK(h.policy.on_peer_close(4001).delay == 8000ms);
    h.clock.advance(8s);  // t=20
    h.go_online();
    h.clock.advance(10s);  // t=30: 10 s since the last one → at once again
    const Decision later = h.policy.on_peer_close(4001);
    CHECK(later.action == Action::connect_now);
    CHECK(later.delay == 0ms);
}

TEST_CASE("4001 is not subject to backoff") {
    Harness h;
    h.fail_times(6);
    h.go_online();
    CHECK(h.policy.on_peer_close(4001).delay == 0ms);
}

TEST_CASE("4003 revokes: retry every revoked_interval with a fresh token") {
    ReconnectSettings s;
    s.revoked_interval = 20min;
    Harness h(s, TokenMode::exchange);
    h.go_online();
    const Decision d = h.policy.on_peer_close(4003, "node revoked");
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 20min);
    CHECK(d.refresh_token);
    CHECK(h.policy.state() == State::revoked);
    CHECK(h.policy.snapshot().auth_failures.at("close_4003") == 1);
    CHECK(h.policy.snapshot().next_retry_in == milliseconds{20min});
    h.clock.advance(20min);
    const AttemptPlan plan = h.policy.on_connect_attempt();
    CHECK(plan.fetch_token);
    CHECK(h.policy.state() == State::connecting);
    (void)h.policy.on_established("outpost.v1");
    CHECK(h.policy.on_peer_close(4003).delay == 20min);  // still revoked, same interval
}

TEST_CASE("4004 is incompatible: retry every incompatible_interval") {
    ReconnectSettings s;
    s.incompatible_interval = 7min;
    Harness h(s);
    h.go_online();
    const Decision d = h.policy.on_peer_close(4004);
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 7min);
    CHECK(h.policy.state() == State::incompatible);
}

TEST_CASE("4005 waits a draw in [max/2, max], whatever the attempt") {
    SECTION("the bottom of the draw is max/2") {
        Harness h({}, TokenMode::jwt, FakeRandom::Mode::low);
        online_after_two_failures(h);
        CHECK(h.policy.on_peer_close(4005).delay == 30000ms);
    }
    SECTION("the top of the draw is max") {
        Harness h;
        online_after_two_failures(h);
        CHECK(h.policy.on_peer_close(4005).delay == 60000ms);
        CHECK(*h.random.last_bound == 30000);
    }
}

TEST_CASE("4006 waits 30 s plus a draw in [0, max], even with a small max") {
    ReconnectSettings s;
    s.max = 10s;
    SECTION("top of the draw") {
        Harness h(s, TokenMode::jwt, FakeRandom::Mode::high);
        h.go_online();
        const Decision d = h.policy.on_peer_close(4006);
        CHECK(d.action == Action::wait_then_connect);
        CHECK(d.delay == 40000ms);
        CHECK(*h.random.last_bound == 10000);
    }
    SECTION("bottom of the draw") {
        Harness h(s, TokenMode::jwt, FakeRandom::Mode::low);
        h.go_online();
        CHECK(h.policy.on_peer_close(4006).delay == 30000ms);
    }
}

TEST_CASE("4007 reconnects after after_ms, capped at max") {
    SECTION("within max") {
        Harness h;
        online_after_two_failures(h);
        const Decision d = h.policy.on_peer_close(4007, "maintenance", 5000);
        CHECK(d.action == Action::wait_then_connect);
        CHECK(d.delay == 5000ms);
    }
    SECTION("capped") {
        Harness h;
        online_after_two_failures(h);
        CHECK(h.policy.on_peer_close(4007, "", 600000).delay == 60000ms);
    }
    SECTION("without after_ms: jittered up to initial") {
        Harness h;
        online_after_two_failures(h);
        CHECK(h.policy.on_peer_close(4007).delay == 1000ms);
        CHECK(*h.random.last_bound == 1000);
    }
    SECTION("after_ms 0 reconnects at once") {
        Harness h;
        online_after_two_failures(h);
        CHECK(h.policy.on_peer_close(4007, "", 0).action == Action::connect_now);
    }
}

TEST_CASE("after_ms is ignored for close codes other than 4007") {
    Harness h;
    online_after_two_failures(h);
    CHECK(h.policy.on_peer_close(1000, "", 10).delay == 4000ms);
}

TEST_CASE("reconnect message closes with 1000 and waits min(after_ms, max)") {
    SECTION("within max") {
        Harness h;
        online_after_two_failures(h);
        const Decision d = h.policy.on_reconnect_request(2500, "rebalancing");
        CHECK(d.action == Action::close_then_wait);
        CHECK(d.close_code == 1000);
        CHECK(d.delay == 2500ms);
        CHECK(h.policy.state() == State::backoff);
    }
    SECTION("capped at max") {
        ReconnectSettings s;
        s.max = 45s;
        Harness h(s);
        h.go_online();
        CHECK(h.policy.on_reconnect_request(3600000, "").delay == 45000ms);
    }
    SECTION("negative after_ms means now") {
        Harness h;
        online_after_two_failures(h);
        CHECK(h.policy.on_reconnect_request(-5, "").delay == 0ms);
    }
    SECTION("missing after_ms: jittered up to initial") {
        Harness h;
        online_after_two_failures(h);
        CHECK(h.policy.on_reconnect_request(std::nullopt, "").delay == 1000ms);
    }
}

TEST_CASE("the close that follows our own close_then_wait is ignored") {
    Harness h;
    h.go_online();
    const Decision first = h.policy.on_reconnect_request(5000, "");
    REQUIRE(first.action == Action::close_then_wait);
    const Decision echo = h.policy.on_peer_close(1000);
    CHECK(echo.action == Action::none);
    CHECK(h.policy.state() == State::backoff);
    CHECK(h.policy.attempt() == 1);
}

TEST_CASE("connection dropped without a close frame backs off") {
    Harness h;
    online_after_two_failures(h);
    const Decision d = h.policy.on_connection_lost("EOF");
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 4000ms);
    CHECK(h.policy.snapshot().last_error->cause == "EOF");
    CHECK_FALSE(h.policy.snapshot().last_close_code.has_value());
}

TEST_CASE("a seal failure closes with 1008 at once, backs off, and is counted and shown") {
    Harness h;
    online_after_two_failures(h);
    const Decision d =
        h.policy.on_seal_failure("did_not_open", "seal: the server's messages did not open");
    CHECK(d.action == Action::close_then_wait);
    CHECK(d.close_code == 1008);
    CHECK(d.delay == 4s);  // the plain backoff of attempt 3, at the top of its jitter
    CHECK(h.policy.state() == State::backoff);
    const SessionSnapshot s = h.policy.snapshot();
    CHECK(s.seal_failures.at("did_not_open") == 1);
    REQUIRE(s.last_error);
    CHECK(s.last_error->what == "seal: the server's messages did not open");
    // The close that follows is ours: it is not a second failure.
    CHECK(h.policy.on_peer_close(1008).action == Action::none);
    CHECK(h.policy.on_seal_failure("replayed", "again").action == Action::none);
    CHECK(h.policy.snapshot().seal_failures.size() == 1);
}
