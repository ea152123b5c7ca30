#include "agent/logs/streams/token_bucket.hpp"

#include <algorithm>

namespace outpost::logs::streams {
namespace {

constexpr std::uint64_t kMicro = 1'000'000;

}  // namespace

TokenBucket::TokenBucket(std::uint32_t per_second, Instant now)
    : per_second_(std::max<std::uint32_t>(per_second, 1)),
      micro_tokens_(std::uint64_t{per_second_} * kMicro),
      last_(now) {}

void TokenBucket::refill(Instant now) {
    if (now <= last_) return;
    const auto elapsed_us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count());
    const std::uint64_t cap = std::uint64_t{per_second_} * kMicro;
    // elapsed_us * rate is micro-tokens (tokens/s * us); capped before it
    // could overflow (a long idle stream).
    const std::uint64_t gained =
        elapsed_us >= kMicro ? cap : elapsed_us * std::uint64_t{per_second_};
    micro_tokens_ = std::min(cap, micro_tokens_ + gained);
    last_ = now;
}

std::uint64_t TokenBucket::available(Instant now) {
    refill(now);
    return micro_tokens_ / kMicro;
}

void TokenBucket::take(std::uint64_t n) {
    const std::uint64_t micro = n * kMicro;
    micro_tokens_ = micro >= micro_tokens_ ? 0 : micro_tokens_ - micro;
}

std::chrono::microseconds TokenBucket::until(std::uint64_t n, Instant now) {
    refill(now);
    const std::uint64_t wanted = std::min<std::uint64_t>(n, burst()) * kMicro;
    if (micro_tokens_ >= wanted) return std::chrono::microseconds(0);
    // Micro-tokens missing / (micro-tokens per us = rate), rounded up.
    const std::uint64_t missing = wanted - micro_tokens_;
    return std::chrono::microseconds((missing + per_second_ - 1) / per_second_);
}

void TokenBucket::set_rate(std::uint32_t per_second, Instant now) {
    refill(now);
    per_second_ = std::max<std::uint32_t>(per_second, 1);
    micro_tokens_ = std::min(micro_tokens_, std::uint64_t{per_second_} * kMicro);
}

}  // namespace outpost::logs::streams
