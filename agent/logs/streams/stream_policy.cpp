#include "agent/logs/streams/stream_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace outpost::logs::streams {

StreamPolicy::StreamPolicy(std::uint32_t lines_per_second, Instant now)
    : own_(lines_per_second, now), last_marker_(now) {}

PassPlan StreamPolicy::plan(Instant now, TokenBucket& total, std::uint64_t backlog_bytes,
                            bool backpressured) {
    PassPlan plan;
    if (backpressured) {
        plan.paused = true;
        return plan;
    }
    const std::uint64_t tokens = std::min(own_.available(now), total.available(now));
    plan.send_lines = static_cast<std::size_t>(std::min<std::uint64_t>(tokens, kLinesPerPass));
    // Past the bound the stream cannot catch up at the pace it may send:
    // the oldest unread lines go (before this pass sends the newer ones).
    plan.skip = backlog_bytes > kSkipBacklogBytes;
    return plan;
}

void StreamPolicy::sent(std::size_t lines, TokenBucket& total) {
    own_.take(lines);
    total.take(lines);
}

void StreamPolicy::dropped(std::uint64_t lines) {
    dropped_total_ += lines;
    unreported_ += lines;
}

std::chrono::microseconds StreamPolicy::wait_for_tokens(Instant now, TokenBucket& total) {
    const auto batch = [](const TokenBucket& bucket) {
        return std::clamp<std::uint64_t>(bucket.rate() / 20, 1, kLinesPerPass);
    };
    return std::max(own_.until(batch(own_), now), total.until(batch(total), now));
}

std::optional<std::uint64_t> StreamPolicy::take_marker(Instant now) {
    if (unreported_ == 0 || now - last_marker_ < kMarkerEvery) return std::nullopt;
    const std::uint64_t count = unreported_;
    unreported_ = 0;
    last_marker_ = now;
    return count;
}

std::optional<std::string> refuse_open(std::size_t open_streams, std::uint32_t max_streams) {
    if (open_streams < max_streams) return std::nullopt;
    return fmt::format("too many streams: {} open, logs.max_streams is {}", open_streams,
                       max_streams);
}

}  // namespace outpost::logs::streams
