#pragma once
// A token bucket of whole lines: `per_second` tokens a second, at most one
// second's worth held (the burst). Pure: the time is passed in, so tests run
// it on a made-up clock (tests/agent/logs/streams/test_stream_policy.cpp).

#include <chrono>
#include <cstdint>

namespace outpost::logs::streams {

using Instant = std::chrono::steady_clock::time_point;

class TokenBucket {
  public:
    // Starts full. A rate of 0 is taken as 1 (the config refuses 0; a bucket
    // that never refills would stall a stream for good).
    TokenBucket(std::uint32_t per_second, Instant now);

    // Tokens held now (refilled up to `now` first).
    [[nodiscard]] std::uint64_t available(Instant now);
    // Spends `n` tokens; never below zero.
    void take(std::uint64_t n);
    // How long from `now` until `n` tokens are held (0: already). `n` above
    // the burst is taken as the burst.
    [[nodiscard]] std::chrono::microseconds until(std::uint64_t n, Instant now);
    // A new rate (config reload); the tokens held are kept, capped.
    void set_rate(std::uint32_t per_second, Instant now);

    [[nodiscard]] std::uint32_t rate() const { return per_second_; }
    [[nodiscard]] std::uint64_t burst() const { return per_second_; }

  private:
    void refill(Instant now);

    std::uint32_t per_second_;
    // Fractions of a token are kept in micro-tokens so a slow rate still
    // refills between calls made often.
    std::uint64_t micro_tokens_;
    Instant last_;
};

}  // namespace outpost::logs::streams
