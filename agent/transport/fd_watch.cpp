#include "agent/transport/fd_watch.hpp"

#include <libwebsockets.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/lws_callbacks.hpp"

namespace outpost::transport {

Expected<std::unique_ptr<FdWatch>> FdWatch::create(EventLoop& loop, int fd,
                                                   std::function<void()> on_readable,
                                                   std::function<void()> on_hangup) {
    const int copy = ::dup(fd);
    if (copy < 0) return fail(std::string("dup: ") + std::strerror(errno));
    std::unique_ptr<FdWatch> watch(new FdWatch());
    watch->on_readable_ = std::move(on_readable);
    watch->on_hangup_ = std::move(on_hangup);

    lws_adopt_desc_t desc{};
    desc.vh = loop.base_vhost();
    desc.type = LWS_ADOPT_RAW_FILE_DESC;
    desc.fd.filefd = copy;
    desc.vh_prot_name = detail::kFdProtocol;
    desc.opaque = watch.get();
    // On failure lws has already closed `copy`.
    watch->wsi_ = lws_adopt_descriptor_vhost_via_info(&desc);
    if (watch->wsi_ == nullptr) return fail("lws could not adopt fd " + std::to_string(fd));
    return watch;
}

FdWatch::~FdWatch() {
    if (wsi_ == nullptr) return;
    // Detach first, then let lws close the dup on its next pass: this may run
    // inside this wsi's own callback, where a synchronous close is unsafe.
    lws_set_opaque_user_data(wsi_, nullptr);
    lws_set_timeout(wsi_, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
}

void FdWatch::handle_readable() {
    auto callback = on_readable_;  // a copy: it may destroy *this
    if (callback) callback();
}

void FdWatch::handle_closed() {
    wsi_ = nullptr;
    auto callback = std::move(on_hangup_);
    if (callback) callback();
}

namespace detail {

int fd_watch_callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* /*in*/,
                      size_t /*len*/) {
    switch (reason) {
        case LWS_CALLBACK_RAW_RX_FILE: {
            auto* watch = static_cast<FdWatch*>(lws_get_opaque_user_data(wsi));
            if (watch == nullptr) return -1;  // orphaned: close it
            watch->handle_readable();
            return 0;
        }
        case LWS_CALLBACK_RAW_CLOSE_FILE: {
            auto* watch = static_cast<FdWatch*>(lws_get_opaque_user_data(wsi));
            if (watch != nullptr) {
                lws_set_opaque_user_data(wsi, nullptr);
                watch->handle_closed();
            }
            return 0;
        }
        default:
            return 0;
    }
}

}  // namespace detail
}  // namespace outpost::transport
