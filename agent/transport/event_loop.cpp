#include "agent/transport/event_loop.hpp"

#include <fcntl.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/transport/fd_watch.hpp"
#include "agent/transport/lws_callbacks.hpp"
#include "agent/transport/timer.hpp"
#include "agent/transport/timer_queue.hpp"

namespace outpost::transport {
namespace {

// The base vhost only adopts the watch set's epoll fd; client vhosts add
// their own protocols.
const lws_protocols kBaseProtocols[] = {
    {detail::kFdProtocol, detail::watch_set_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

sigset_t loop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

Expected<std::unique_ptr<EventLoop>> EventLoop::create(Options options) {
    std::unique_ptr<EventLoop> loop(new EventLoop());
    lws_set_log_level(options.lws_log_levels, nullptr);

    // A peer that hangs up mid-write must give EPIPE, not kill the agent.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, nullptr) != 0) return fail(errno_text("sigaction(SIGPIPE)"));

    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.pt_serv_buf_size = options.serv_buf_size;
    // lws's own per-stage timeouts are a backstop; each connection runs its
    // own configurable deadline (ConnectSettings::connect_timeout).
    info.timeout_secs = 60;
    info.fd_limit_per_thread = options.max_fds;
    loop->context_ = lws_create_context(&info);
    if (loop->context_ == nullptr) return fail("lws_create_context failed");

    lws_context_creation_info vinfo{};
    vinfo.port = CONTEXT_PORT_NO_LISTEN;
    vinfo.protocols = kBaseProtocols;
    vinfo.vhost_name = "outpost-base";
    loop->base_vhost_ = lws_create_vhost(loop->context_, &vinfo);
    if (loop->base_vhost_ == nullptr) return fail("lws_create_vhost(base) failed");

    loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epoll_fd_ < 0) return fail(errno_text("epoll_create1"));
    // lws closes what it adopts: it gets a dup, we keep ours for epoll_ctl.
    const int epoll_copy = ::fcntl(loop->epoll_fd_, F_DUPFD_CLOEXEC, 0);
    if (epoll_copy < 0) return fail(errno_text("dup(epoll fd)"));
    lws_adopt_desc_t desc{};
    desc.vh = loop->base_vhost_;
    desc.type = LWS_ADOPT_RAW_FILE_DESC;
    desc.fd.filefd = epoll_copy;
    desc.vh_prot_name = detail::kFdProtocol;
    desc.opaque = loop.get();
    loop->epoll_wsi_ = lws_adopt_descriptor_vhost_via_info(&desc);  // closes the dup on failure
    if (loop->epoll_wsi_ == nullptr) return fail("lws could not adopt the watch set's epoll fd");

    // Signals are blocked and read from a signalfd, so handlers run inside the
    // loop like any other event (no async-signal-safety constraints).
    const sigset_t set = loop_signals();
    if (pthread_sigmask(SIG_BLOCK, &set, &loop->old_mask_) != 0)
        return fail("pthread_sigmask failed");
    loop->mask_changed_ = true;
    loop->signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->signal_fd_ < 0) return fail(errno_text("signalfd"));
    EventLoop* self = loop.get();
    auto watch = FdWatch::create(*loop, loop->signal_fd_, [self] { self->read_signals(); });
    if (!watch) return std::unexpected(watch.error().context("watching the signalfd"));
    loop->signal_watch_ = std::move(*watch);
    auto timers = TimerQueue::create(*loop);
    if (!timers) return std::unexpected(timers.error());
    loop->timers_ = std::move(*timers);
    return loop;
}

EventLoop::~EventLoop() {
    timers_.reset();
    signal_watch_.reset();
    if (epoll_wsi_ != nullptr) lws_set_opaque_user_data(epoll_wsi_, nullptr);
    if (context_ != nullptr) lws_context_destroy(context_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (signal_fd_ >= 0) ::close(signal_fd_);
    if (mask_changed_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void EventLoop::run() {
    while (!stop_requested_) {
        if (lws_service(context_, 0) < 0) break;
    }
    stop_requested_ = false;
}

bool EventLoop::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    bool expired = false;
    Timer deadline(*this);
    deadline.schedule(limit, [&expired] { expired = true; });
    const bool outer = predicate_pending_;  // run_until() may nest
    predicate_pending_ = true;
    while (!done() && !expired && !stop_requested_) {
        if (lws_service(context_, 0) < 0) break;
    }
    predicate_pending_ = outer;
    stop_requested_ = false;
    return done();
}

void EventLoop::stop() {
    stop_requested_ = true;
    if (context_ != nullptr) lws_cancel_service(context_);
}

void EventLoop::wake() {
    if (context_ != nullptr && predicate_pending_) lws_cancel_service(context_);
}

void EventLoop::read_signals() {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        const int signo = static_cast<int>(info.ssi_signo);
        if (on_signal_) {
            auto handler = on_signal_;  // a copy: the handler may replace it
            handler(signo);
        } else if (signo != SIGHUP) {
            stop();
        }
    }
}

Expected<std::uint64_t> EventLoop::add_watch(FdWatch& watch, int fd) {
    const std::uint64_t id = next_watch_id_++;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) return fail(errno_text("epoll_ctl"));
    watches_.emplace(id, &watch);
    return id;
}

void EventLoop::remove_watch(std::uint64_t id, int fd) {
    watches_.erase(id);
    // Cannot fail for a registered fd we still hold open.
    (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::service_watches() {
    // A bounded batch: if more are ready, the epoll fd stays readable and lws
    // calls again on its next pass, after the connection's own events.
    epoll_event events[32];
    const int n = epoll_wait(epoll_fd_, events, 32, 0);
    for (int i = 0; i < n; ++i) {
        // Looked up per event: an earlier callback may have destroyed it.
        auto found = watches_.find(events[i].data.u64);
        if (found == watches_.end()) continue;
        FdWatch* watch = found->second;
        if ((events[i].events & EPOLLIN) != 0) {
            watch->handle_readable();
        } else if ((events[i].events & (EPOLLHUP | EPOLLERR)) != 0) {
            watch->handle_closed();
        }
    }
}

namespace detail {

int watch_set_callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* /*in*/,
                       size_t /*len*/) {
    if (reason != LWS_CALLBACK_RAW_RX_FILE) return 0;
    auto* loop = static_cast<EventLoop*>(lws_get_opaque_user_data(wsi));
    if (loop != nullptr) loop->service_watches();
    return 0;
}

}  // namespace detail

lws_vhost* EventLoop::find_vhost(const std::string& name) const {
    return vhost_names_.contains(name) ? lws_get_vhost_by_name(context_, name.c_str()) : nullptr;
}

Expected<lws_vhost*> EventLoop::add_vhost(std::string name, lws_context_creation_info& info) {
    const auto it = vhost_names_.insert(std::move(name)).first;
    info.vhost_name = it->c_str();
    lws_vhost* vhost = lws_create_vhost(context_, &info);
    if (vhost == nullptr) {
        vhost_names_.erase(it);
        return fail("lws_create_vhost failed");
    }
    return vhost;
}

}  // namespace outpost::transport
