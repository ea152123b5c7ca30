#pragma once
// A one-shot timer on the loop (an entry of the loop's TimerQueue). RAII: destroying or
// re-scheduling it cancels the pending callback, so an owner that goes away
// can never be called back. The callback may destroy the Timer itself.

#include <chrono>
#include <functional>
#include <memory>

namespace outpost::transport {

class EventLoop;

class Timer {
  public:
    explicit Timer(EventLoop& loop);
    ~Timer();
    Timer(Timer&&) noexcept;
    Timer& operator=(Timer&&) noexcept;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Replaces any pending schedule. A zero delay runs on the next loop pass,
    // never synchronously inside this call.
    void schedule(std::chrono::microseconds delay, std::function<void()> callback);
    void cancel();
    [[nodiscard]] bool pending() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::transport
