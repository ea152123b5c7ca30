#pragma once
// "Tell me when this fd is readable", serviced by the loop (child-process
// pipes, the status socket, the signalfd). The fd is adopted into lws as a raw
// file descriptor. lws closes what it adopts, so the watch adopts a dup():
// the caller keeps ownership of its own fd.

#include <functional>
#include <memory>

#include "agent/common/error.hpp"

struct lws;

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

    [[nodiscard]] bool active() const { return wsi_ != nullptr; }

    // For the lws callback only.
    void handle_readable();
    void handle_closed();

  private:
    FdWatch() = default;
    lws* wsi_ = nullptr;
    std::function<void()> on_readable_;
    std::function<void()> on_hangup_;
};

}  // namespace outpost::transport
