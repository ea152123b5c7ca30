#pragma once
// The process's one libwebsockets context and the loop that services it.
//
// Why single-threaded: lws is not thread-safe (only lws_cancel_service() may
// be called from another thread), and every transport object, timer, signal
// and watched fd is serviced from this loop. One thread means no locks, no
// races between a close and a send, and callbacks that can touch agent state
// directly. Slow work (process execution, disk sync) is put behind an fd and
// watched here rather than moved to threads. Construct the loop before any
// other thread starts so they inherit the blocked signal mask.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "agent/common/error.hpp"

struct lws;
struct lws_context;
struct lws_vhost;
struct lws_context_creation_info;

namespace outpost::transport {

class FdWatch;
class TimerQueue;

class EventLoop {
  public:
    struct Options {
        // lws's per-thread scratch buffer: it holds the whole client handshake,
        // so it must fit a 4 KB+ bearer token next to the other headers.
        unsigned serv_buf_size = 16 * 1024;
        // lws's own log levels (LLL_*); ERR|WARN by default — lws at INFO and
        // below may print handshake details, so never raise it in production.
        int lws_log_levels = 1 | 2;
        // How many fds lws may service at once; 0 lets lws size its fd table
        // from RLIMIT_NOFILE. lws 4.1 sweeps that whole table each time it
        // closes a wsi, and allocates it up front: with a
        // container's 1M-fd limit that is 8 MB and milliseconds per close.
        // A bound switches lws to a packed table it searches linearly.
        unsigned max_fds = 0;
    };

    // Creates the context, blocks SIGTERM/SIGINT/SIGHUP (they are read from a
    // signalfd inside the loop instead) and ignores SIGPIPE.
    [[nodiscard]] static Expected<std::unique_ptr<EventLoop>> create(Options options);
    [[nodiscard]] static Expected<std::unique_ptr<EventLoop>> create() { return create(Options{}); }
    // Every Timer, FdWatch, WsConnection and HttpsPost must be gone first.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Services events until stop().
    void run();
    // Services events until `done()` is true, stop() is called or `limit`
    // passes; returns done(). Bounds tests and the graceful-shutdown drain.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit);
    // Makes run()/run_until() return after the current callback. Safe from
    // any callback (and, being a flag plus lws_cancel_service(), from another
    // thread).
    void stop();
    // Wakes the loop so run_until() re-checks its predicate (used after timer
    // callbacks, which lws runs before it waits). A no-op outside run_until():
    // run() has no predicate, and each needless wake-up is an eventfd write,
    // an extra poll() pass and a read — twice per command before this check.
    void wake();

    // SIGTERM, SIGINT and SIGHUP arrive here, inside the loop. Without a
    // handler, SIGTERM and SIGINT stop the loop and SIGHUP is ignored.
    void on_signal(std::function<void(int)> handler) { on_signal_ = std::move(handler); }

    [[nodiscard]] lws_context* context() const { return context_; }
    // Every Timer's entries (timer_queue.hpp).
    [[nodiscard]] TimerQueue& timers() { return *timers_; }

    // Client vhosts carry per-configuration TLS and proxy settings (lws keeps
    // those per vhost); they are created on first use and live as long as the
    // loop. `add_vhost` keeps `name` alive (lws stores the pointer).
    [[nodiscard]] lws_vhost* find_vhost(const std::string& name) const;
    [[nodiscard]] Expected<lws_vhost*> add_vhost(std::string name, lws_context_creation_info& info);

    // For the lws callback of the watch set only.
    void service_watches();

  private:
    friend class FdWatch;
    EventLoop() = default;
    void read_signals();
    [[nodiscard]] Expected<std::uint64_t> add_watch(FdWatch& watch, int fd);
    void remove_watch(std::uint64_t id, int fd);

    lws_context* context_ = nullptr;
    lws_vhost* base_vhost_ = nullptr;
    bool stop_requested_ = false;
    bool predicate_pending_ = false;  // inside run_until()
    std::function<void(int)> on_signal_;
    int signal_fd_ = -1;
    sigset_t old_mask_{};
    bool mask_changed_ = false;
    std::unique_ptr<FdWatch> signal_watch_;
    std::unique_ptr<TimerQueue> timers_;
    // Every FdWatch is one entry of this epoll set, and lws polls only the set
    // (adopted once as a raw fd). Adopting each fd into lws instead cost a
    // dup, an fcntl, an lws_cancel_service() wake-up, an extra poll() pass and
    // a deferred close per fd: three of each per command (stdout, stderr,
    // pidfd). Entries are keyed by id, not pointer, so an event for a watch
    // destroyed earlier in the same batch finds nothing.
    int epoll_fd_ = -1;
    lws* epoll_wsi_ = nullptr;
    std::unordered_map<std::uint64_t, FdWatch*> watches_;
    std::uint64_t next_watch_id_ = 1;
    std::set<std::string> vhost_names_;  // node-stable storage for lws
};

}  // namespace outpost::transport
