#include "agent/transport/timer_queue.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"

namespace outpost::transport {

Expected<std::unique_ptr<TimerQueue>> TimerQueue::create(EventLoop& loop) {
    std::unique_ptr<TimerQueue> queue(new TimerQueue());
    queue->loop_ = &loop;
    queue->fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (queue->fd_ < 0) return fail(std::string("timerfd_create: ") + std::strerror(errno));
    TimerQueue* self = queue.get();
    auto watch = FdWatch::create(loop, queue->fd_, [self] { self->fire_due(); });
    if (!watch) return std::unexpected(watch.error().context("watching the timers' timerfd"));
    queue->watch_ = std::move(*watch);
    return queue;
}

TimerQueue::~TimerQueue() {
    watch_.reset();
    if (fd_ >= 0) ::close(fd_);
}

TimerQueue::Key TimerQueue::add(Clock::time_point due, Callback* fire) {
    const Key key{due, next_seq_++};
    entries_.emplace(key, fire);
    if (due < armed_for_) arm();
    return key;
}

void TimerQueue::remove(const Key& key) {
    entries_.erase(key);
    // Left armed for a removed entry, the timerfd fires once for nothing
    // (fire_due finds no due entry and re-arms): cheaper than a syscall
    // per cancel, which is most schedules (a timer re-scheduled before it
    // fires is a cancel and an add).
}

void TimerQueue::fire_due() {
    std::uint64_t expirations = 0;
    (void)::read(fd_, &expirations, sizeof expirations);  // EAGAIN: nothing to clear
    armed_for_ = Clock::time_point::max();
    const auto now = Clock::now();
    const std::uint64_t batch_end = next_seq_;  // entries added from here wait
    for (;;) {
        // In key order, so the first entry not due ends the batch. One added
        // during the batch (a callback re-scheduling with delay 0) waits for
        // the next pass, so a timer cannot keep the loop from its fds.
        auto due = entries_.begin();
        while (due != entries_.end() && due->first.first <= now && due->first.second >= batch_end)
            ++due;
        if (due == entries_.end() || due->first.first > now) break;
        Callback* fire = due->second;
        entries_.erase(due);
        // The owner (Timer) clears its own state in `fire`, and the callback
        // may destroy the owner, so nothing here touches it afterwards.
        (*fire)();
    }
    arm();
    loop_->wake();
}

void TimerQueue::arm() {
    itimerspec spec{};
    if (!entries_.empty()) {
        const auto due = entries_.begin()->first.first;
        auto since_epoch =
            std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch());
        // A zero it_value disarms; a due time already past fires at once.
        if (since_epoch.count() <= 0) since_epoch = std::chrono::nanoseconds(1);
        spec.it_value.tv_sec = static_cast<time_t>(since_epoch.count() / 1'000'000'000);
        spec.it_value.tv_nsec = static_cast<long>(since_epoch.count() % 1'000'000'000);
        armed_for_ = due;
    } else {
        armed_for_ = Clock::time_point::max();
    }
    // Cannot fail for a valid timerfd and a normalised time.
    (void)::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace outpost::transport
