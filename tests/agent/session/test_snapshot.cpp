// What `outpost status` sees: state, since, history, counters.
#include <catch2/catch.hpp>

#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

TEST_CASE("state names") {
    CHECK(to_string(State::connecting) == "connecting");
    CHECK(to_string(State::awaiting_welcome) == "awaiting_welcome");
    CHECK(to_string(State::online) == "online");
    CHECK(to_string(State::backoff) == "backoff");
    CHECK(to_string(State::revoked) == "revoked");
    CHECK(to_string(State::incompatible) == "incompatible");
    CHECK(to_string(State::unauthorized) == "unauthorized");
    CHECK(to_string(State::shutting_down) == "shutting_down");
    CHECK(to_string(Action::close_then_wait) == "close_then_wait");
    CHECK(to_string(TokenFailure::malformed) == "malformed");
}

TEST_CASE("every transition is recorded with its wall-clock time") {
    Harness h;
    const auto start = h.clock.wall_now();
    (void)h.policy.on_connect_attempt();
    h.clock.advance(2s);
    (void)h.policy.on_established("outpost.v1");
    h.clock.advance(1s);
    (void)h.policy.on_welcome(Welcome{"outpost.v1", "s", 30});
    h.clock.advance(5s);
    (void)h.policy.on_peer_close(1011, "oops");

    const auto& history = h.policy.history();
    REQUIRE(history.size() == 4);
    CHECK(history[0].state == State::connecting);
    CHECK(history[0].since == start);
    CHECK(history[1].state == State::awaiting_welcome);
    CHECK(history[1].since == start + 2s);
    CHECK(history[2].state == State::online);
    CHECK(history[2].since == start + 3s);
    CHECK(history[3].state == State::backoff);
    CHECK(history[3].since == start + 8s);
    CHECK(history[3].reason == "closed by server: 1011: oops");

    const auto snap = h.policy.snapshot();
    CHECK(snap.state == State::backoff);
    CHECK(snap.since == start + 8s);
    CHECK(snap.transitions.at("online") == 1);
    CHECK(snap.transitions.at("backoff") == 1);
}

TEST_CASE("history is bounded") {
    Harness h;
    h.fail_times(100);
    CHECK(h.policy.history().size() == SessionPolicy::max_history);
    CHECK(h.policy.history().back().state == State::backoff);
}

TEST_CASE("next retry in counts down while waiting") {
    Harness h;
    h.fail_times(3);  // attempt 3: 4 s
    CHECK(h.policy.snapshot().next_retry_in == 4000ms);
    CHECK(h.policy.next_deadline() == h.clock.now() + 4s);
    h.clock.advance(1500ms);
    CHECK(h.policy.snapshot().next_retry_in == 2500ms);
    h.clock.advance(10s);
    CHECK(h.policy.snapshot().next_retry_in == 0ms);
    (void)h.policy.on_connect_attempt();
    CHECK_FALSE(h.policy.snapshot().next_retry_in.has_value());
}

TEST_CASE("snapshot carries attempt, last error, close code, token expiry, session id") {
    Harness h;
    h.fail_times(2);
    h.go_online();
    auto snap = h.policy.snapshot();
    CHECK(snap.attempt == 2);
    CHECK(snap.session_id == "s-1");
    REQUIRE(snap.token_expiry.has_value());
    CHECK(*snap.token_expiry == h.clock.wall_now() + 3600s);
    CHECK(snap.last_error->cause == "connection refused");
    (void)h.policy.on_peer_close(4006, "slow down");
    snap = h.policy.snapshot();
    CHECK(snap.last_close_code == 4006);
    CHECK(snap.last_error->what == "closed by server: 4006");
    CHECK(snap.last_error->cause == "slow down");
    CHECK(snap.last_error->at == h.clock.wall_now());
    CHECK(snap.reconnects == 2);
}

TEST_CASE("invalid payloads are counted by code") {
    Harness h;
    h.go_online();
    h.policy.count_invalid_payload("schema");
    h.policy.count_invalid_payload("schema");
    h.policy.count_invalid_payload("too_large");
    const auto snap = h.policy.snapshot();
    CHECK(snap.invalid_payloads.at("schema") == 2);
    CHECK(snap.invalid_payloads.at("too_large") == 1);
    CHECK(snap.invalid_payloads.size() == 2);
}

TEST_CASE("auth failures are counted by reason") {
    Harness h;
    (void)h.policy.on_connect_attempt();
    (void)h.policy.on_upgrade_refused(401, std::nullopt);
    (void)h.policy.on_connect_attempt();
    (void)h.policy.on_upgrade_refused(403, std::nullopt);
    const auto snap = h.policy.snapshot();
    CHECK(snap.auth_failures.at("http_401") == 1);
    CHECK(snap.auth_failures.at("http_403") == 1);
}
