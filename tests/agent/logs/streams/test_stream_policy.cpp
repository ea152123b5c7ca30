// The pure stream policy: token buckets, admission, pauses, skips and drop
// markers, on a made-up clock.
#include <catch2/catch.hpp>

#include "agent/logs/streams/stream_policy.hpp"
#include "agent/logs/streams/token_bucket.hpp"

using namespace outpost::logs::streams;
using namespace std::chrono_literals;

namespace {
const Instant t0 = Instant{} + 1000s;
}

TEST_CASE("a token bucket starts full, refills at its rate and holds one second") {
    TokenBucket bucket(100, t0);
    CHECK(bucket.available(t0) == 100);
    bucket.take(100);
    CHECK(bucket.available(t0) == 0);
    CHECK(bucket.available(t0 + 10ms) == 1);
    CHECK(bucket.available(t0 + 500ms) == 50);
    CHECK(bucket.available(t0 + 1h) == 100);  // the burst, not an hour's worth
    bucket.take(1000);
    CHECK(bucket.available(t0 + 1h) == 0);
}

TEST_CASE("a token bucket says how long until n tokens") {
    TokenBucket bucket(1000, t0);
    CHECK(bucket.until(10, t0) == 0us);
    bucket.take(1000);
    CHECK(bucket.until(10, t0) == 10000us);
    CHECK(bucket.until(5000, t0) == 1s);  // capped at the burst
    bucket.set_rate(10, t0 + 1ms);        // one token refilled at the old rate, capped at 10
    CHECK(bucket.available(t0 + 1ms) == 1);
    CHECK(bucket.until(2, t0 + 1ms) == 100000us);
}

TEST_CASE("a slow rate still refills when asked often") {
    TokenBucket bucket(3, t0);
    bucket.take(3);
    Instant now = t0;
    for (int i = 0; i < 34; ++i) {
        now += 10ms;
        (void)bucket.available(now);
    }
    CHECK(bucket.available(now) == 1);  // 340 ms at 3/s
}

TEST_CASE("one stream past logs.max_streams is refused with a reason") {
    CHECK_FALSE(refuse_open(0, 2).has_value());
    CHECK_FALSE(refuse_open(1, 2).has_value());
    const auto refused = refuse_open(2, 2);
    REQUIRE(refused.has_value());
    CHECK(*refused == "too many streams: 2 open, logs.max_streams is 2");
}

TEST_CASE("a pass sends what both buckets allow, at most a pass's share") {
    TokenBucket total(5000, t0);
    StreamPolicy stream(1000, t0);
    PassPlan plan = stream.plan(t0, total, 0, false);
    CHECK(plan.send_lines == kLinesPerPass);
    CHECK_FALSE(plan.paused);
    stream.sent(1000, total);
    CHECK(stream.plan(t0, total, 0, false).send_lines == 0);
    CHECK(total.available(t0) == 4000);
    // The agent-wide bucket holds the stream back when it is lower.
    TokenBucket low_total(10, t0);
    StreamPolicy other(1000, t0);
    CHECK(other.plan(t0, low_total, 0, false).send_lines == 10);
}

TEST_CASE("a back-pressured connection pauses the stream: nothing read, nothing dropped") {
    TokenBucket total(5000, t0);
    StreamPolicy stream(1000, t0);
    const PassPlan plan = stream.plan(t0, total, 100 * kSkipBacklogBytes, true);
    CHECK(plan.paused);
    CHECK(plan.send_lines == 0);
    CHECK_FALSE(plan.skip);
}

TEST_CASE("a stream skips only when its source is far behind, and still sends") {
    TokenBucket total(5000, t0);
    StreamPolicy stream(100, t0);
    CHECK_FALSE(stream.plan(t0, total, kSkipBacklogBytes, false).skip);
    const PassPlan plan = stream.plan(t0, total, kSkipBacklogBytes + 1, false);
    CHECK(plan.skip);
    CHECK(plan.send_lines == 100);
    stream.sent(100, total);
    CHECK(stream.plan(t0, total, kSkipBacklogBytes + 1, false).skip);
}

TEST_CASE("the wait for tokens is for a batch, not for one line") {
    TokenBucket total(5000, t0);
    StreamPolicy stream(1000, t0);
    CHECK(stream.wait_for_tokens(t0, total) == 0us);
    stream.sent(1000, total);
    CHECK(stream.wait_for_tokens(t0, total) == 50ms);  // 1000/20 lines at 1000/s
}

TEST_CASE("drop markers come at most every five seconds and carry the count since the last") {
    StreamPolicy idle(1000, t0);
    CHECK_FALSE(idle.take_marker(t0 + 10s).has_value());  // nothing dropped
    StreamPolicy fresh(1000, t0);
    fresh.dropped(7);
    CHECK_FALSE(fresh.take_marker(t0 + 4s).has_value());
    auto first = fresh.take_marker(t0 + 5s);
    REQUIRE(first.has_value());
    CHECK(*first == 7);
    fresh.dropped(3);
    CHECK_FALSE(fresh.take_marker(t0 + 9s).has_value());
    CHECK(fresh.unreported() == 3);
    auto second = fresh.take_marker(t0 + 10s);
    REQUIRE(second.has_value());
    CHECK(*second == 3);
    CHECK(fresh.unreported() == 0);
    CHECK(fresh.dropped_total() == 10);
}
