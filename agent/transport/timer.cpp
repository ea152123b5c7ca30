#include "agent/transport/timer.hpp"

#include <libwebsockets.h>

#include <type_traits>

#include "agent/transport/event_loop.hpp"

namespace outpost::transport {

struct Timer::Impl {
    // Standard layout with `sul` first, so the lws callback can get back here.
    struct Node {
        lws_sorted_usec_list_t sul;
        Impl* owner;
    };
    static_assert(std::is_standard_layout_v<Node>);
    Node node{{}, this};
    EventLoop* loop = nullptr;
    std::function<void()> callback;
    bool pending = false;

    static void fire(lws_sorted_usec_list_t* sul) {
        Impl* self = reinterpret_cast<Node*>(sul)->owner;
        self->pending = false;
        // Moved out first: the callback may destroy the Timer (and this Impl).
        auto callback = std::move(self->callback);
        EventLoop* loop = self->loop;
        if (callback) callback();
        // lws runs timers before it waits; wake it so run_until() re-checks.
        loop->wake();
    }
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
    const auto us = delay.count() > 0 ? static_cast<lws_usec_t>(delay.count()) : 1;
    lws_sul_schedule(impl_->loop->context(), 0, &impl_->node.sul, &Impl::fire, us);
}

void Timer::cancel() {
    if (!impl_) return;  // moved-from
    if (impl_->pending) lws_sul_cancel(&impl_->node.sul);
    impl_->pending = false;
    impl_->callback = nullptr;
}

bool Timer::pending() const {
    return impl_ && impl_->pending;
}

}  // namespace outpost::transport
