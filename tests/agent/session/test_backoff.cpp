#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "agent/session/backoff.hpp"
#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

namespace {

milliseconds expected_ceiling(std::uint64_t n) {
    // min(60 s, 1 s * 2^(n-1)) for the defaults, written out independently.
    if (n >= 7) return 60000ms;
    return milliseconds{1000LL << (n - 1)};
}

}  // namespace

TEST_CASE("backoff draws the top of [0, min(max, initial*2^(n-1))] for attempts 1..20") {
    FakeRandom random(FakeRandom::Mode::high);
    Backoff backoff(1000ms, 60000ms);
    for (std::uint64_t n = 1; n <= 20; ++n) {
        CAPTURE(n);
        const milliseconds delay = backoff.next(random);
        CHECK(backoff.attempt() == n);
        CHECK(delay == expected_ceiling(n));
        REQUIRE(random.last_bound.has_value());
        CHECK(*random.last_bound == static_cast<std::uint64_t>(expected_ceiling(n).count()));
    }
}

TEST_CASE("backoff draws zero at the bottom of the range for attempts 1..20") {
    FakeRandom random(FakeRandom::Mode::low);
    Backoff backoff(1000ms, 60000ms);
    for (std::uint64_t n = 1; n <= 20; ++n) {
        CAPTURE(n);
        CHECK(backoff.next(random) == 0ms);
        CHECK(*random.last_bound == static_cast<std::uint64_t>(expected_ceiling(n).count()));
    }
}

TEST_CASE("backoff ceiling doubles and then stays at max") {
    CHECK(Backoff::ceiling(1000ms, 60000ms, 1) == 1000ms);
    CHECK(Backoff::ceiling(1000ms, 60000ms, 2) == 2000ms);
    CHECK(Backoff::ceiling(1000ms, 60000ms, 6) == 32000ms);
    CHECK(Backoff::ceiling(1000ms, 60000ms, 7) == 60000ms);  // 64 s capped
    CHECK(Backoff::ceiling(1000ms, 60000ms, 8) == 60000ms);
    CHECK(Backoff::ceiling(1000ms, 1000ms, 3) == 1000ms);
}

TEST_CASE("backoff attempt 0 behaves like attempt 1") {
    CHECK(Backoff::ceiling(1000ms, 60000ms, 0) == 1000ms);
}

TEST_CASE("backoff ceiling is overflow-safe for huge attempt numbers") {
    CHECK(Backoff::ceiling(1000ms, 60000ms, 1000) == 60000ms);
    CHECK(Backoff::ceiling(1000ms, 60000ms, 64) == 60000ms);
    CHECK(Backoff::ceiling(1000ms, 60000ms, 65) == 60000ms);
    CHECK(Backoff::ceiling(1000ms, 60000ms, std::numeric_limits<std::uint64_t>::max()) == 60000ms);
    const milliseconds huge = milliseconds::max();
    CHECK(Backoff::ceiling(1ms, huge, 63) == milliseconds{std::int64_t{1} << 62});
    CHECK(Backoff::ceiling(1ms, huge, 64) == huge);
    CHECK(Backoff::ceiling(1ms, huge, 1000) == huge);
    CHECK(Backoff::ceiling(3ms, huge, 63) == huge);  // 3 * 2^62 would overflow
}

TEST_CASE("backoff draw at attempt 1000 stays within max") {
    FakeRandom random(FakeRandom::Mode::high);
    Backoff backoff(1000ms, 60000ms);
    for (int i = 0; i < 1000; ++i) backoff.record_failure();
    CHECK(backoff.attempt() == 1000);
    CHECK(backoff.draw(random) == 60000ms);
}

TEST_CASE("backoff reset starts again from initial") {
    FakeRandom random(FakeRandom::Mode::high);
    Backoff backoff(1000ms, 60000ms);
    (void)backoff.next(random);
    (void)backoff.next(random);
    (void)backoff.next(random);
    backoff.reset();
    CHECK(backoff.attempt() == 0);
    CHECK(backoff.next(random) == 1000ms);
}

TEST_CASE("jitter of a non-positive bound is zero and asks no random number") {
    FakeRandom random;
    CHECK(jitter(random, 0ms) == 0ms);
    CHECK(jitter(random, -5ms) == 0ms);
    CHECK(random.calls == 0);
}

TEST_CASE("settings validation rejects non-positive values and initial > max") {
    CHECK(validate(ReconnectSettings{}).has_value());
    ReconnectSettings zero_initial;
    zero_initial.initial = 0ms;
    CHECK_FALSE(validate(zero_initial).has_value());
    ReconnectSettings inverted;
    inverted.initial = 5000ms;
    inverted.max = 1000ms;
    const auto result = validate(inverted);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message().find("reconnect.initial") != std::string::npos);
}

TEST_CASE("policy: attempt counter resets after 60 s online, not before") {
    SECTION("59.999 s is not stable: the next delay keeps growing") {
        Harness h;
        h.fail_times(3);
        h.go_online();
        h.clock.advance(59999ms);
        const Decision d = h.policy.on_peer_close(1000);
        CHECK(h.policy.attempt() == 4);
        CHECK(d.delay == 8000ms);
    }
    SECTION("60 s is stable: the next delay starts from initial") {
        Harness h;
        h.fail_times(3);
        h.go_online();
        h.clock.advance(60s);
        const Decision d = h.policy.on_peer_close(1000);
        CHECK(h.policy.attempt() == 1);
        CHECK(d.delay == 1000ms);
    }
    SECTION("a tick while online resets the counter once stable") {
        Harness h;
        h.fail_times(3);
        h.go_online(3600);
        h.clock.advance(59s);
        (void)h.policy.on_tick();
        CHECK(h.policy.attempt() == 3);
        h.clock.advance(1s);
        (void)h.policy.on_tick();
        CHECK(h.policy.attempt() == 0);
    }
    SECTION("time spent awaiting welcome does not count as up") {
        Harness h;
        h.fail_times(3);
        (void)h.policy.on_connect_attempt();
        (void)h.policy.on_established("outpost.v1");
        h.clock.advance(9s);
        (void)h.policy.on_welcome(Welcome{"outpost.v1", "s", 30});
        h.clock.advance(55s);
        (void)h.policy.on_peer_close(1000);
        CHECK(h.policy.attempt() == 4);
    }
}

TEST_CASE("policy: consecutive failures follow the backoff sequence") {
    Harness h;
    const milliseconds expected[] = {1000ms,  2000ms,  4000ms,  8000ms,
                                     16000ms, 32000ms, 60000ms, 60000ms};
    for (const milliseconds want : expected) {
        (void)h.policy.on_connect_attempt();
        const Decision d = h.policy.on_transport_failure("refused");
        CHECK(d.action == Action::wait_then_connect);
        CHECK(d.delay == want);
        CHECK(h.policy.state() == State::backoff);
    }
}
