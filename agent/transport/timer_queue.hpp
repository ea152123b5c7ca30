#pragma once
// The loop's timers, ordered by due time, behind one timerfd that the loop
// watches like any other fd (EventLoop owns one; Timer adds and removes its
// entries).
//
// Why not lws_sul, which Timer used before: lws 4.1 turns the time to the
// next sul into poll()'s millisecond timeout by truncation, so it wakes up
// to 1 ms early and then calls poll(…, 0) until the µs deadline passes. That
// spin was ~24 µs a pass and ~50 passes a second with telemetry at 1 s (150
// of 180 poll() calls in an strace of 3 s): most of the service loop's CPU.
// A timerfd wakes the loop's epoll set at the deadline itself.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "agent/common/error.hpp"

namespace outpost::transport {

class EventLoop;
class FdWatch;

class TimerQueue {
  public:
    using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as the timerfd
    // Due time, then the order of scheduling: equal due times fire in the
    // order they were scheduled, and an entry added while a batch fires
    // waits for the next batch.
    using Key = std::pair<Clock::time_point, std::uint64_t>;
    using Callback = std::function<void()>;

    [[nodiscard]] static Expected<std::unique_ptr<TimerQueue>> create(EventLoop& loop);
    ~TimerQueue();
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    // `fire` runs once at `due` (at once, on the next pass, if `due` has
    // passed), unless remove() comes first.
    [[nodiscard]] Key add(Clock::time_point due, Callback* fire);
    void remove(const Key& key);

  private:
    TimerQueue() = default;
    void fire_due();
    void arm();

    EventLoop* loop_ = nullptr;
    int fd_ = -1;
    std::unique_ptr<FdWatch> watch_;
    std::map<Key, Callback*> entries_;
    std::uint64_t next_seq_ = 0;
    Clock::time_point armed_for_ = Clock::time_point::max();
};

}  // namespace outpost::transport
