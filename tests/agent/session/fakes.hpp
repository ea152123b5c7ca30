#pragma once
// Deterministic clock and random source for the session policy tests, plus a
// small harness that walks a policy through the usual event sequence.

#include <chrono>
#include <cstdint>
#include <optional>

#include "agent/session/clock.hpp"
#include "agent/session/policy.hpp"

namespace outpost::session::testing {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

class FakeClock final : public Clock {
  public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() const override { return steady_; }
    [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override { return wall_; }
    void advance(std::chrono::steady_clock::duration d) {
        steady_ += d;
        wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    }

  private:
    // Arbitrary, non-zero starting points: nothing may assume time starts at 0.
    std::chrono::steady_clock::time_point steady_{std::chrono::hours{1000}};
    std::chrono::system_clock::time_point wall_{std::chrono::seconds{1795000000}};
};

// Returns the bottom or the top of the requested range and remembers the
// bound, so tests can check both the range and the draw.
class FakeRandom final : public Random {
  public:
    enum class Mode { low, high };
    explicit FakeRandom(Mode mode = Mode::high) : mode_(mode) {}
    [[nodiscard]] std::uint64_t uniform(std::uint64_t n) override {
        ++calls;
        last_bound = n;
        return mode_ == Mode::low ? 0 : n;
    }
    void set(Mode mode) { mode_ = mode; }

    std::optional<std::uint64_t> last_bound;
    int calls = 0;

  private:
    Mode mode_;
};

struct Harness {
    explicit Harness(ReconnectSettings s = {}, TokenMode mode = TokenMode::jwt,
                     FakeRandom::Mode random_mode = FakeRandom::Mode::high)
        : settings(s), random(random_mode), policy(settings, mode, clock, random) {}
    // The policy refers to this object's clock and random source.
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    // A token valid for `life` from now.
    [[nodiscard]] TokenLifetime token(std::chrono::seconds life = 3600s) const {
        return TokenLifetime{clock.wall_now(), clock.wall_now() + life};
    }

    // Connect, obtain a token, upgrade and receive welcome.
    void go_online(std::optional<std::int64_t> heartbeat_s = 30) {
        (void)policy.on_connect_attempt();
        policy.on_token_obtained(token());
        (void)policy.on_established("outpost.v1");
        (void)policy.on_welcome(Welcome{"outpost.v1", "s-1", heartbeat_s});
    }

    // `n` consecutive TCP failures (each starts an attempt first).
    void fail_times(int n) {
        for (int i = 0; i < n; ++i) {
            (void)policy.on_connect_attempt();
            (void)policy.on_transport_failure("connection refused");
        }
    }

    ReconnectSettings settings;
    FakeClock clock;
    FakeRandom random;
    SessionPolicy policy;
};

}  // namespace outpost::session::testing
