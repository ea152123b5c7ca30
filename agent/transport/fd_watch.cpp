#include "agent/transport/fd_watch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/transport/event_loop.hpp"

namespace outpost::transport {

Expected<std::unique_ptr<FdWatch>> FdWatch::create(EventLoop& loop, int fd,
                                                   std::function<void()> on_readable,
                                                   std::function<void()> on_hangup) {
    std::unique_ptr<FdWatch> watch(new FdWatch());
    watch->fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (watch->fd_ < 0) return fail(std::string("dup: ") + std::strerror(errno));
    watch->loop_ = &loop;
    watch->on_readable_ = std::move(on_readable);
    watch->on_hangup_ = std::move(on_hangup);
    auto id = loop.add_watch(*watch, watch->fd_);
    if (!id) return std::unexpected(id.error().context("watching fd " + std::to_string(fd)));
    watch->id_ = *id;
    return watch;
}

FdWatch::~FdWatch() {
    unregister();
    if (fd_ >= 0) ::close(fd_);
}

void FdWatch::unregister() {
    if (id_ == 0) return;
    loop_->remove_watch(id_, fd_);
    id_ = 0;
}

void FdWatch::handle_readable() {
    auto callback = on_readable_;  // a copy: it may destroy *this
    if (callback) callback();
}

void FdWatch::handle_closed() {
    unregister();  // inert from here: a hung-up fd would report again at once
    auto callback = std::move(on_hangup_);
    if (callback) callback();
}

}  // namespace outpost::transport
