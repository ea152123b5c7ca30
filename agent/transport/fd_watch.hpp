#pragma once
// "Tell me when this fd is readable", serviced by the loop (child-process
// pipes, pidfds, the signalfd). The watch registers a dup() of the fd in the
// loop's epoll set (see EventLoop), so the caller keeps ownership of its own
// fd and may close it at any time; the registration lives exactly as long as
// the watch.

#include <cstdint>
#include <functional>
#include <memory>

#include "agent/common/error.hpp"

namespace outpost::transport {

class EventLoop;

class FdWatch {
  public:
    // `on_readable` runs each time poll() reports the fd readable; it must
    // read (or stop watching), or it is called again at once. `on_hangup`
    // (optional) runs once when the fd hangs up with nothing left to read;
    // the watch is then inert. Either callback may destroy the FdWatch.
    [[nodiscard]] static Expected<std::unique_ptr<FdWatch>> create(
        EventLoop& loop, int fd, std::function<void()> on_readable,
        std::function<void()> on_hangup = {});
    ~FdWatch();
    FdWatch(const FdWatch&) = delete;
    FdWatch& operator=(const FdWatch&) = delete;

    [[nodiscard]] bool active() const { return id_ != 0; }

    // For EventLoop::service_watches() only.
    void handle_readable();
    void handle_closed();

  private:
    FdWatch() = default;
    void unregister();

    EventLoop* loop_ = nullptr;
    int fd_ = -1;           // our dup
    std::uint64_t id_ = 0;  // 0: not in the loop's set
    std::function<void()> on_readable_;
    std::function<void()> on_hangup_;
};

}  // namespace outpost::transport
