#include "agent/transport/timer.hpp"

#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer_queue.hpp"

namespace outpost::transport {

// Entries live in the loop's TimerQueue (timer_queue.hpp says why not
// lws_sul). The Impl stays where it is when a Timer moves, so the queue's
// pointer to `fire` stays valid.
struct Timer::Impl {
    EventLoop* loop = nullptr;
    std::function<void()> callback;
    bool pending = false;
    TimerQueue::Key key{};
    TimerQueue::Callback fire = [this] {
        pending = false;
        // Moved out first: the callback may destroy the Timer (and this Impl).
        auto run = std::move(callback);
        if (run) run();
    };
};

Timer::Timer(EventLoop& loop) : impl_(std::make_unique<Impl>()) {
    impl_->loop = &loop;
}

Timer::~Timer() {
    cancel();
}

Timer::Timer(Timer&&) noexcept = default;

Timer& Timer::operator=(Timer&& other) noexcept {
    if (this != &other) {
        cancel();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

void Timer::schedule(std::chrono::microseconds delay, std::function<void()> callback) {
    cancel();
    impl_->callback = std::move(callback);
    impl_->pending = true;
    const auto due = TimerQueue::Clock::now() + std::max(delay, std::chrono::microseconds(0));
    impl_->key = impl_->loop->timers().add(due, &impl_->fire);
}

void Timer::cancel() {
    if (!impl_) return;  // moved-from
    if (impl_->pending) impl_->loop->timers().remove(impl_->key);
    impl_->pending = false;
    impl_->callback = nullptr;
}

bool Timer::pending() const {
    return impl_ && impl_->pending;
}

}  // namespace outpost::transport
