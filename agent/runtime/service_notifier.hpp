#pragma once
// The agent's side of systemd's Type=notify (sd_notify(3)): READY=1 once the
// journal is restored and the loop runs, STATUS=<connection state> on each
// change, WATCHDOG=1 from the service loop itself, RELOADING=1 around a
// reload and STOPPING=1 at a graceful stop.
//
// WATCHDOG=1 is sent by a Timer on the loop, never by a thread: a loop that
// stalls (a blocking call, a livelock) stops petting the watchdog and systemd
// restarts the agent after WatchdogSec, which is the point of it.
//
// Without NOTIFY_SOCKET (run by hand, in a container, in tests) every call is
// a no-op: not an error, nothing logged.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "agent/session/snapshot.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::runtime {

class ServiceNotifier {
  public:
    // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID once; starts
    // nothing (start_watchdog does).
    explicit ServiceNotifier(transport::EventLoop& loop);
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    // READY=1 (again after a reload: RELOADING=1 ... READY=1).
    void ready();
    // STATUS=<text>, only when it differs from the last one sent.
    void status(std::string text);
    // RELOADING=1 with MONOTONIC_USEC (systemd >= 253 wants it for
    // Type=notify-reload; older ones ignore it).
    void reloading();
    // STOPPING=1; the watchdog stops with it (the stop is bounded by its own
    // drain limits, and systemd's TimeoutStopSec covers the rest).
    void stopping();

    // On the loop's first pass (so the loop demonstrably runs): READY=1,
    // then WATCHDOG=1 every half of WATCHDOG_USEC from the loop, when
    // systemd set a watchdog for this process.
    void start();

    // Whether systemd listens (NOTIFY_SOCKET was set at construction).
    [[nodiscard]] bool enabled() const { return enabled_; }
    // Half of WATCHDOG_USEC; nullopt without a watchdog.
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_every() const {
        return watchdog_every_;
    }

  private:
    void send(const std::string& state);
    void start_watchdog();
    void pet();

    bool enabled_ = false;
    std::optional<std::chrono::microseconds> watchdog_every_;
    transport::Timer watchdog_;
    std::string last_status_;
    bool stopping_ = false;
};

// STATUS= text for a connection state: short, one line, e.g.
// "online to wss://hub/v1/agent (session 3f2a9c01…)",
// "backoff: upgrade refused: HTTP 503, next attempt in 4 s".
[[nodiscard]] std::string connection_status_text(std::string_view server_url,
                                                 const session::SessionSnapshot& snapshot);

}  // namespace outpost::runtime
