// One connection attempt: token, TCP/TLS, upgrade statuses (§1), subprotocol,
// welcome (§3.1), token endpoint outcomes (§2), reauth (§2.1), shutdown.
#include <catch2/catch.hpp>

#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

namespace {

// Two failed attempts, then a third one in progress: its failure is attempt 3
// (backoff ceiling 4 s, distinct from every fixed delay).
void third_attempt(Harness& h) {
    h.fail_times(2);
    (void)h.policy.on_connect_attempt();
}

}  // namespace

TEST_CASE("first attempt starts in connecting and is not a reconnect") {
    Harness h;
    CHECK(h.policy.state() == State::connecting);
    const AttemptPlan plan = h.policy.on_connect_attempt();
    CHECK(plan.proceed);
    CHECK(plan.fetch_token);  // jwt: fresh token every attempt
    CHECK(h.policy.snapshot().reconnects == 0);
    h.fail_times(2);
    CHECK(h.policy.snapshot().reconnects == 2);
}

TEST_CASE("TCP/TLS failure backs off and records the cause") {
    Harness h;
    third_attempt(h);
    const Decision d = h.policy.on_transport_failure("TLS: certificate verify failed");
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 4000ms);
    const auto snap = h.policy.snapshot();
    REQUIRE(snap.last_error.has_value());
    CHECK(snap.last_error->what == "connection failed");
    CHECK(snap.last_error->cause == "TLS: certificate verify failed");
}

TEST_CASE("HTTP 401: fresh token and retry at once, only once") {
    Harness h({}, TokenMode::exchange);
    third_attempt(h);
    const Decision first = h.policy.on_upgrade_refused(401, std::nullopt);
    CHECK(first.action == Action::connect_now);
    CHECK(first.delay == 0ms);
    CHECK(first.refresh_token);
    CHECK(h.policy.on_connect_attempt().fetch_token);
    const Decision second = h.policy.on_upgrade_refused(401, std::nullopt);
    CHECK(second.action == Action::wait_then_connect);
    CHECK(second.delay == 8000ms);  // attempt 4: normal backoff
    CHECK(second.refresh_token);
    CHECK(h.policy.snapshot().auth_failures.at("http_401") == 2);
}

TEST_CASE("HTTP 401 retry at once is allowed again after a session came up") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    CHECK(h.policy.on_upgrade_refused(401, std::nullopt).delay == 0ms);
    h.go_online();
    (void)h.policy.on_peer_close(1000);
    (void)h.policy.on_connect_attempt();
    CHECK(h.policy.on_upgrade_refused(401, std::nullopt).delay == 0ms);
}

TEST_CASE("HTTP 403: revoked") {
    Harness h;
    third_attempt(h);
    const Decision d = h.policy.on_upgrade_refused(403, std::nullopt);
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 15min);
    CHECK(d.refresh_token);
    CHECK(h.policy.state() == State::revoked);
    CHECK(h.policy.snapshot().auth_failures.at("http_403") == 1);
}

TEST_CASE("HTTP 426 and 400: incompatible") {
    const int status = GENERATE(426, 400);
    CAPTURE(status);
    Harness h;
    third_attempt(h);
    const Decision d = h.policy.on_upgrade_refused(status, std::nullopt);
    CHECK(d.delay == 15min);
    CHECK(h.policy.state() == State::incompatible);
}

TEST_CASE("HTTP 429/503 wait Retry-After R plus a draw in [0, min(R, max)]") {
    const int status = GENERATE(429, 503);
    CAPTURE(status);
    SECTION("top of the draw: 2 R") {
        Harness h;
        third_attempt(h);
        const Decision d = h.policy.on_upgrade_refused(status, 30s);
        CHECK(d.action == Action::wait_then_connect);
        CHECK(d.delay == 60000ms);
        CHECK(*h.random.last_bound == 30000);
        CHECK(h.policy.state() == State::backoff);
        CHECK(h.policy.snapshot().last_error->cause == "Retry-After 30 s");
    }
    SECTION("the backoff no longer lifts a short Retry-After") {
        Harness h;
        third_attempt(h);
        CHECK(h.policy.on_upgrade_refused(status, 1s).delay == 2000ms);
    }
    SECTION("the jitter above R is capped at max") {
        Harness h;
        third_attempt(h);
        CHECK(h.policy.on_upgrade_refused(status, 120s).delay == 180000ms);
        CHECK(*h.random.last_bound == 60000);
    }
    SECTION("Retry-After applies even when the draw is 0") {
        Harness h({}, TokenMode::jwt, FakeRandom::Mode::low);
        third_attempt(h);
        CHECK(h.policy.on_upgrade_refused(status, 7s).delay == 7000ms);
    }
    SECTION("without Retry-After: plain backoff") {
        Harness h;
        third_attempt(h);
        CHECK(h.policy.on_upgrade_refused(status, std::nullopt).delay == 4000ms);
    }
    SECTION("an absurd Retry-After is capped") {
        Harness h;
        third_attempt(h);
        CHECK(h.policy.on_upgrade_refused(status, std::chrono::seconds{4294967295}).delay ==
              milliseconds{1h} + 60000ms);
    }
}

TEST_CASE("other HTTP statuses back off and ignore Retry-After") {
    const int status = GENERATE(404, 500, 502, 504, 302);
    CAPTURE(status);
    Harness h;
    third_attempt(h);
    const Decision d = h.policy.on_upgrade_refused(status, 120s);
    CHECK(d.delay == 4000ms);
    CHECK(h.policy.state() == State::backoff);
    CHECK(h.policy.snapshot().auth_failures.empty());
}

TEST_CASE("upgrade with no or an unknown subprotocol is incompatible") {
    const std::optional<std::string_view> selected =
        GENERATE(std::optional<std::string_view>{}, std::optional<std::string_view>{"outpost.v2"},
                 std::optional<std::string_view>{""});
    Harness h;
    (void)h.policy.on_connect_attempt();
    const Decision d = h.policy.on_established(selected);
    CHECK(d.action == Action::close_then_wait);
    CHECK(d.close_code == close_protocol_error);
    CHECK(d.delay == 15min);
    CHECK(h.policy.state() == State::incompatible);
}

TEST_CASE("a 101 the WebSocket layer refused for a foreign subprotocol is incompatible") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    const Decision d = h.policy.on_foreign_subprotocol("outpost.v9");
    CHECK(d.action == Action::wait_then_connect);  // nothing is open to close
    CHECK(d.delay == 15min);
    CHECK(h.policy.state() == State::incompatible);
    CHECK(d.reason.find("outpost.v9") != std::string::npos);
}

TEST_CASE("welcome with another protocol is incompatible") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    (void)h.policy.on_established("outpost.v1");
    const Decision d = h.policy.on_welcome(Welcome{"outpost.v2", "s", 30});
    CHECK(d.action == Action::close_then_wait);
    CHECK(d.close_code == close_protocol_error);
    CHECK(d.delay == 15min);
    CHECK(h.policy.state() == State::incompatible);
}

TEST_CASE("welcome brings the session online") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    (void)h.policy.on_established("outpost.v1");
    CHECK(h.policy.state() == State::awaiting_welcome);
    const Decision d = h.policy.on_welcome(Welcome{"outpost.v1", "abc-123", 30});
    CHECK(d.action == Action::none);
    CHECK(h.policy.state() == State::online);
    CHECK(h.policy.snapshot().session_id == "abc-123");
}

TEST_CASE("welcome before the upgrade is ignored") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    CHECK(h.policy.on_welcome(Welcome{"outpost.v1", "s", 30}).action == Action::none);
    CHECK(h.policy.state() == State::connecting);
}

TEST_CASE("token endpoint 401: unauthorized with a long backoff") {
    ReconnectSettings s;
    s.revoked_interval = 30min;
    Harness h(s, TokenMode::exchange);
    (void)h.policy.on_connect_attempt();
    const Decision d = h.policy.on_token_failure(TokenFailure::unauthorized, "HTTP 401");
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 30min);
    CHECK(h.policy.state() == State::unauthorized);
    const auto snap = h.policy.snapshot();
    CHECK(snap.auth_failures.at("token_unauthorized") == 1);
    CHECK(snap.last_error->cause == "HTTP 401");
}

TEST_CASE("token endpoint 403: revoked") {
    Harness h({}, TokenMode::exchange);
    (void)h.policy.on_connect_attempt();
    const Decision d = h.policy.on_token_failure(TokenFailure::forbidden, "HTTP 403");
    CHECK(d.delay == 15min);
    CHECK(h.policy.state() == State::revoked);
}

TEST_CASE("token endpoint 5xx, timeout, connection failure, malformed: normal backoff") {
    const TokenFailure failure = GENERATE(TokenFailure::server_error, TokenFailure::timeout,
                                          TokenFailure::connection_failed, TokenFailure::malformed);
    CAPTURE(to_string(failure));
    Harness h({}, TokenMode::exchange);
    third_attempt(h);
    const Decision d = h.policy.on_token_failure(failure, "cause");
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 4000ms);
    CHECK(h.policy.state() == State::backoff);
    CHECK(h.policy.snapshot().auth_failures.at("token_" + std::string(to_string(failure))) == 1);
}

TEST_CASE("exchange mode reuses a token with at least 20 % of its life left") {
    Harness h({}, TokenMode::exchange);
    CHECK(h.policy.on_connect_attempt().fetch_token);  // no token yet
    h.policy.on_token_obtained(h.token(100s));
    (void)h.policy.on_transport_failure("refused");
    h.clock.advance(79s);
    CHECK_FALSE(h.policy.on_connect_attempt().fetch_token);
    (void)h.policy.on_transport_failure("refused");
    h.clock.advance(1s);  // 80 % gone
    CHECK(h.policy.on_connect_attempt().fetch_token);
}

TEST_CASE("jwt and static modes fetch a token for every attempt") {
    const TokenMode mode = GENERATE(TokenMode::jwt, TokenMode::static_token);
    Harness h({}, mode);
    (void)h.policy.on_connect_attempt();
    h.policy.on_token_obtained(h.token(3600s));
    (void)h.policy.on_transport_failure("refused");
    CHECK(h.policy.on_connect_attempt().fetch_token);
}

TEST_CASE("reauth is requested at 80 % of the token's life, once") {
    Harness h({}, TokenMode::jwt);
    h.go_online(3600);  // token of 3600 s → reauth at 2880 s
    h.clock.advance(2879s);
    h.policy.on_inbound_message();
    CHECK_FALSE(h.policy.on_tick().send_reauth);
    h.clock.advance(1s);
    h.policy.on_inbound_message();
    CHECK(h.policy.on_tick().send_reauth);
    CHECK_FALSE(h.policy.on_tick().send_reauth);  // in flight
    h.policy.on_token_obtained(h.token(3600s));
    CHECK(h.policy.on_welcome(Welcome{"outpost.v1", "s-1", 3600}).action == Action::none);
    CHECK(h.policy.state() == State::online);
    h.clock.advance(2879s);
    h.policy.on_inbound_message();
    CHECK_FALSE(h.policy.on_tick().send_reauth);
    h.clock.advance(1s);
    CHECK(h.policy.on_tick().send_reauth);
}

TEST_CASE("static tokens are never re-authenticated") {
    Harness h({}, TokenMode::static_token);
    (void)h.policy.on_connect_attempt();
    h.policy.on_token_obtained(std::nullopt);
    (void)h.policy.on_established("outpost.v1");
    (void)h.policy.on_welcome(Welcome{"outpost.v1", "s", 3600});
    h.clock.advance(3500s);
    CHECK_FALSE(h.policy.on_tick().send_reauth);
}

TEST_CASE("a failed reauth token keeps the connection and retries later") {
    Harness h({}, TokenMode::exchange);
    h.go_online(3600);
    h.clock.advance(2880s);
    h.policy.on_inbound_message();
    REQUIRE(h.policy.on_tick().send_reauth);
    const Decision d = h.policy.on_token_failure(TokenFailure::timeout, "no answer");
    CHECK(d.action == Action::none);
    CHECK(h.policy.state() == State::online);
    CHECK_FALSE(h.policy.on_tick().send_reauth);
    h.clock.advance(999ms);
    CHECK_FALSE(h.policy.on_tick().send_reauth);
    h.clock.advance(1ms);  // reauth backoff attempt 1: up to 1 s (draw at the top)
    CHECK(h.policy.on_tick().send_reauth);
}

TEST_CASE("a reauth refused with 401/403 is not retried on this connection") {
    for (const TokenFailure refusal : {TokenFailure::unauthorized, TokenFailure::forbidden}) {
        Harness h({}, TokenMode::exchange);
        h.go_online(3600);
        h.clock.advance(2880s);
        h.policy.on_inbound_message();
        REQUIRE(h.policy.on_tick().send_reauth);
        const Decision d = h.policy.on_token_failure(refusal, "HTTP 401/403");
        CHECK(d.action == Action::none);
        CHECK(h.policy.state() == State::online);  // until the server closes (4001)
        h.clock.advance(600s);
        h.policy.on_inbound_message();
        CHECK_FALSE(h.policy.on_tick().send_reauth);
    }
}

TEST_CASE("no reauth before welcome") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    h.policy.on_token_obtained(h.token(10s));
    (void)h.policy.on_established("outpost.v1");
    h.clock.advance(9s);
    CHECK_FALSE(h.policy.on_tick().send_reauth);
}

TEST_CASE("shutdown is terminal") {
    Harness h;
    h.go_online();
    const Decision d = h.policy.shutdown("SIGTERM");
    CHECK(d.action == Action::stop);
    CHECK(d.close_code == close_going_away);
    CHECK(h.policy.state() == State::shutting_down);

    CHECK(h.policy.on_peer_close(1000).action == Action::none);
    CHECK(h.policy.on_connection_lost("EOF").action == Action::none);
    CHECK(h.policy.on_reconnect_request(10, "").action == Action::none);
    CHECK(h.policy.on_token_failure(TokenFailure::timeout, "").action == Action::none);
    CHECK_FALSE(h.policy.on_connect_attempt().proceed);
    CHECK(h.policy.on_transport_failure("x").action == Action::none);
    CHECK(h.policy.on_upgrade_refused(503, 1s).action == Action::none);
    CHECK(h.policy.on_established("outpost.v1").action == Action::none);
    h.clock.advance(1h);
    const TickResult tick = h.policy.on_tick();
    CHECK(tick.decision.action == Action::none);
    CHECK_FALSE(tick.send_ping);
    CHECK(h.policy.state() == State::shutting_down);
    CHECK_FALSE(h.policy.next_deadline().has_value());
    CHECK_FALSE(h.policy.snapshot().next_retry_in.has_value());
    CHECK(h.policy.shutdown("again").action == Action::stop);
}

TEST_CASE("shutdown during backoff cancels the pending retry") {
    Harness h;
    h.fail_times(1);
    REQUIRE(h.policy.next_deadline().has_value());
    CHECK(h.policy.shutdown("").action == Action::stop);
    CHECK_FALSE(h.policy.next_deadline().has_value());
    CHECK_FALSE(h.policy.on_connect_attempt().proceed);
}

TEST_CASE("a token with a broken lifetime asks for reauth at once") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    h.policy.on_token_obtained(TokenLifetime{h.clock.wall_now(), h.clock.wall_now() - 1s});
    (void)h.policy.on_established("outpost.v1");
    (void)h.policy.on_welcome(Welcome{"outpost.v1", "s", 30});
    CHECK(h.policy.next_deadline() == h.clock.now());
    CHECK(h.policy.on_tick().send_reauth);
}

TEST_CASE("a welcome answering reauth keeps the session's start time") {
    Harness h;
    h.fail_times(3);
    h.go_online(3600);
    h.clock.advance(50s);
    CHECK(h.policy.on_welcome(Welcome{"outpost.v1", "s-1", 3600}).reason == "reauth accepted");
    h.clock.advance(10s);  // 60 s after the first welcome
    (void)h.policy.on_tick();
    CHECK(h.policy.attempt() == 0);
    CHECK(h.policy.history().back().state == State::online);
}

namespace {
// A clock that moves a little on every read, like a real one: code that reads
// the time twice sees two different values.
class MovingClock final : public Clock {
  public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() const override {
        steady_ += std::chrono::microseconds(1);
        return steady_;
    }
    [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override {
        wall_ += std::chrono::microseconds(1);
        return wall_;
    }
    void jump(std::chrono::milliseconds d) const {
        steady_ += d;
        wall_ += d;
    }

  private:
    mutable std::chrono::steady_clock::time_point steady_{std::chrono::hours{1000}};
    mutable std::chrono::system_clock::time_point wall_{std::chrono::seconds{1795000000}};
};
}  // namespace

TEST_CASE("a due reauth goes out even when the clock moves between reads") {
    MovingClock clock;
    FakeRandom random;
    SessionPolicy policy(ReconnectSettings{}, TokenMode::exchange, clock, random);
    (void)policy.on_connect_attempt();
    auto issued = clock.wall_now();
    policy.on_token_obtained(TokenLifetime{issued, issued + std::chrono::seconds(2)});
    (void)policy.on_established("outpost.v1");
    (void)policy.on_welcome(Welcome{"outpost.v1", "s-1", 30});
    clock.jump(std::chrono::milliseconds(1700));  // past 80 % of 2 s
    CHECK(policy.on_tick().send_reauth);
}
