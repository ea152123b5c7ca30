// §5's spread rules: every fixed floor gets jitter above it, 1001 and a bare
// `reconnect` spread over the server's reconnect_spread_s, and a rebooted
// host splays its first attempt. Two kinds of test: exact ends of each
// window with the fake random source, and distributions drawn with the real
// one (SystemRandom, seeded afresh for every block of draws).
#include <catch2/catch.hpp>

#include <array>
#include <functional>
#include <memory>
#include <vector>

#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

namespace {

// Online with the given spread hint (none: the server sent none).
void online_with_spread(SessionPolicy& policy, std::optional<std::int64_t> spread_s) {
    (void)policy.on_connect_attempt();
    (void)policy.on_established("outpost.v1");
    (void)policy.on_welcome(Welcome{"outpost.v1", "s-1", 30, spread_s});
}

// One delay from a fresh cycle on a policy driven by the real random source.
using Draw = std::function<milliseconds(SessionPolicy&)>;

// `blocks` seeds x `per_block` draws each; every draw comes from a policy
// whose SystemRandom is seeded anew per block.
std::vector<milliseconds> draw_many(const Draw& draw, const ReconnectSettings& settings = {},
                                    int blocks = 100, int per_block = 100) {
    std::vector<milliseconds> out;
    out.reserve(static_cast<std::size_t>(blocks * per_block));
    for (int b = 0; b < blocks; ++b) {
        FakeClock clock;
        SystemRandom random;
        SessionPolicy policy(settings, TokenMode::jwt, clock, random);
        for (int i = 0; i < per_block; ++i) out.push_back(draw(policy));
    }
    return out;
}

// Every draw lies in [low, high], and the draws fill 10 equal bins of that
// window evenly: for 10 000 uniform draws a bin holds Binomial(10 000, 0.1),
// mean 1000, sd 30; ±20 % is ±6.7 sd, which a correct implementation
// leaves with probability about 3e-11 per bin, so the check cannot flake.
void check_uniform(const std::vector<milliseconds>& draws, milliseconds low, milliseconds high) {
    REQUIRE(draws.size() == 10000);
    std::array<int, 10> bins{};
    const auto width = (high - low).count() + 1;
    for (const auto d : draws) {
        REQUIRE(d >= low);  // a floor is never undercut
        REQUIRE(d <= high);
        ++bins[static_cast<std::size_t>((d - low).count() * 10 / width)];
    }
    for (std::size_t i = 0; i < bins.size(); ++i) {
        CAPTURE(i, bins[i]);
        CHECK(bins[i] >= 800);
        CHECK(bins[i] <= 1200);
    }
}

}  // namespace

TEST_CASE("1001 with a spread hint waits a draw in [0, S]") {
    Harness h;
    h.fail_times(3);
    online_with_spread(h.policy, 600);
    const Decision d = h.policy.on_peer_close(1001);
    CHECK(d.action == Action::wait_then_connect);
    CHECK(d.delay == 600000ms);
    CHECK(*h.random.last_bound == 600000);
    CHECK(h.policy.spread() == std::chrono::seconds{600});
}

TEST_CASE("reconnect without after_ms, and 4007 without it, spread over [0, S]") {
    Harness h;
    online_with_spread(h.policy, 20);
    CHECK(h.policy.on_reconnect_request(std::nullopt, "drain").delay == 20000ms);
    online_with_spread(h.policy, std::nullopt);
    CHECK(h.policy.on_peer_close(4007).delay == 20000ms);
    SECTION("after_ms still wins, capped at max") {
        online_with_spread(h.policy, 20);
        CHECK(h.policy.on_reconnect_request(3000, "").delay == 3000ms);
    }
}

TEST_CASE("a welcome without the hint keeps the last one, 0 means at once") {
    Harness h;
    online_with_spread(h.policy, 45);
    online_with_spread(h.policy, std::nullopt);
    CHECK(h.policy.spread() == std::chrono::seconds{45});
    CHECK(h.policy.on_peer_close(1001).delay == 45000ms);
    online_with_spread(h.policy, 0);
    const Decision d = h.policy.on_peer_close(1001);
    CHECK(d.action == Action::connect_now);
    CHECK(d.delay == 0ms);
}

TEST_CASE("a spread beyond 3600 s is taken as 3600 s") {
    Harness h;
    online_with_spread(h.policy, 100000);
    CHECK(h.policy.spread() == std::chrono::seconds{3600});
    h.policy.remember_spread(std::chrono::seconds{-4});
    CHECK(h.policy.spread() == std::chrono::seconds{0});
}

TEST_CASE("the spread hint does not touch plain backoff") {
    Harness h;
    h.fail_times(2);
    online_with_spread(h.policy, 900);
    const Decision d = h.policy.on_peer_close(1011);
    CHECK(d.delay == 4000ms);
    CHECK(*h.random.last_bound == 4000);
}

TEST_CASE("start-up: only a rebooted host splays its first attempt") {
    SECTION("same boot (crash, upgrade, first run): at once, no draw") {
        Harness h;
        h.policy.remember_spread(std::chrono::seconds{300});
        const Decision d = h.policy.on_start(false);
        CHECK(d.action == Action::connect_now);
        CHECK(h.random.calls == 0);
    }
    SECTION("rebooted with a remembered spread: a draw in [0, S]") {
        Harness h;
        h.policy.remember_spread(std::chrono::seconds{300});
        const Decision d = h.policy.on_start(true);
        CHECK(d.action == Action::wait_then_connect);
        CHECK(d.delay == 300000ms);
        CHECK(h.policy.snapshot().next_retry_in == 300000ms);
        CHECK(h.policy.state() == State::backoff);
        CHECK(h.policy.attempt() == 0);  // a splay is not a failure
    }
    SECTION("rebooted without a spread: a draw in [0, initial]") {
        Harness h;
        CHECK(h.policy.on_start(true).delay == 1000ms);
        CHECK(*h.random.last_bound == 1000);
    }
    SECTION("only before the first attempt") {
        Harness h;
        (void)h.policy.on_connect_attempt();
        CHECK(h.policy.on_start(true).action == Action::none);
    }
}

// --- distributions with the real random source ---

TEST_CASE("distribution: 1001 with a 10 s spread is uniform in [0, 10 s]") {
    check_uniform(draw_many([](SessionPolicy& p) {
                      online_with_spread(p, 10);
                      return p.on_peer_close(1001).delay;
                  }),
                  0ms, 10000ms);
}

TEST_CASE("distribution: without a hint 1001 and a bare reconnect stay in [0, initial]") {
    check_uniform(draw_many([](SessionPolicy& p) {
                      online_with_spread(p, std::nullopt);
                      return p.on_peer_close(1001).delay;
                  }),
                  0ms, 1000ms);
    check_uniform(draw_many([](SessionPolicy& p) {
                      online_with_spread(p, std::nullopt);
                      return p.on_reconnect_request(std::nullopt, "").delay;
                  }),
                  0ms, 1000ms);
}

TEST_CASE("distribution: reconnect without after_ms spreads uniformly over [0, S]") {
    check_uniform(draw_many([](SessionPolicy& p) {
                      online_with_spread(p, 120);
                      return p.on_reconnect_request(std::nullopt, "").delay;
                  }),
                  0ms, 120000ms);
}

TEST_CASE("distribution: 4005 is uniform in [max/2, max]") {
    check_uniform(draw_many([](SessionPolicy& p) {
                      online_with_spread(p, std::nullopt);
                      return p.on_peer_close(4005).delay;
                  }),
                  30000ms, 60000ms);
}

TEST_CASE("distribution: 4006 is 30 s plus a uniform draw in [0, max]") {
    check_uniform(draw_many([](SessionPolicy& p) {
                      online_with_spread(p, std::nullopt);
                      return p.on_peer_close(4006).delay;
                  }),
                  30000ms, 90000ms);
}

TEST_CASE("distribution: Retry-After R is R plus a uniform draw in [0, min(R, max)]") {
    SECTION("R below max") {
        check_uniform(draw_many([](SessionPolicy& p) {
                          (void)p.on_connect_attempt();
                          return p.on_upgrade_refused(503, std::chrono::seconds{20}).delay;
                      }),
                      20000ms, 40000ms);
    }
    SECTION("R above max") {
        check_uniform(draw_many([](SessionPolicy& p) {
                          (void)p.on_connect_attempt();
                          return p.on_upgrade_refused(429, std::chrono::seconds{300}).delay;
                      }),
                      300000ms, 360000ms);
    }
}

TEST_CASE("distribution: a rebooted host's first attempt is uniform in [0, S]") {
    check_uniform(draw_many(
                      [](SessionPolicy& p) {
                          p.remember_spread(std::chrono::seconds{10});
                          return p.on_start(true).delay;
                      },
                      {}, 10000, 1),
                  0ms, 10000ms);
}

TEST_CASE("distribution: with or without a hint, plain backoff keeps its window") {
    // Attempt 1 after a stable session: [0, initial] either way.
    for (const std::optional<std::int64_t> hint :
         {std::optional<std::int64_t>{}, std::optional<std::int64_t>{600}}) {
        check_uniform(draw_many(
                          [hint](SessionPolicy& p) {
                              online_with_spread(p, hint);
                              return p.on_connection_lost("reset").delay;
                          },
                          {}, 10000, 1),
                      0ms, 1000ms);
    }
}
