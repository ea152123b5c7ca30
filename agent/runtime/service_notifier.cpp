#include "agent/runtime/service_notifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>
#include <cstring>

#include "agent/log/log.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "notify";
// STATUS= is shown by `systemctl status` on one line: an error text from the
// transport or the server is cut, not allowed to push the state off screen.
constexpr std::size_t kMaxErrorChars = 80;
// A session id is a UUID; its first 8 characters tell sessions apart in
// `systemctl status` (the whole one is in `outpost status`).
constexpr std::size_t kSessionChars = 8;

std::uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

// Newlines would start a new NAME=value assignment in the datagram.
std::string one_line(std::string_view text, std::size_t limit) {
    std::string out;
    for (char c : text.substr(0, limit)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
    if (text.size() > limit) out += "…";
    return out;
}

}  // namespace

ServiceNotifier::ServiceNotifier(transport::EventLoop& loop)
    : enabled_(std::getenv("NOTIFY_SOCKET") != nullptr), watchdog_(loop) {
    std::uint64_t usec = 0;
    // > 0: a watchdog is set for this process (WATCHDOG_PID, when present,
    // names it). Environment is kept (0): the agent notifies many times.
    if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_every_ = std::chrono::microseconds(usec / 2);
    }
}

void ServiceNotifier::send(const std::string& state) {
    if (!enabled_) return;
    int rc = sd_notify(0, state.c_str());
    // A lost datagram is not worth stopping for: systemd's own timeouts
    // (TimeoutStartSec, WatchdogSec) then say what went wrong.
    if (rc < 0) log::debug(kLog, "sd_notify failed: {}", std::strerror(-rc));
}

void ServiceNotifier::ready() {
    send("READY=1");
    if (!last_status_.empty()) send("STATUS=" + last_status_);
}

void ServiceNotifier::status(std::string text) {
    if (text == last_status_) return;
    last_status_ = std::move(text);
    send("STATUS=" + last_status_);
}

void ServiceNotifier::reloading() {
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
}

void ServiceNotifier::stopping() {
    if (stopping_) return;  // the signal and the stop itself both say so
    stopping_ = true;
    watchdog_.cancel();
    send("STOPPING=1");
}

void ServiceNotifier::start() {
    if (!enabled_) return;
    watchdog_.schedule(std::chrono::microseconds(0), [this] {
        ready();
        start_watchdog();
    });
}

void ServiceNotifier::start_watchdog() {
    if (!watchdog_every_ || stopping_) return;
    log::info(kLog, "systemd watchdog: WATCHDOG=1 every {} ms from the service loop",
              watchdog_every_->count() / 1000);
    pet();
}

void ServiceNotifier::pet() {
    send("WATCHDOG=1");
    watchdog_.schedule(*watchdog_every_, [this] { pet(); });
}

std::string connection_status_text(std::string_view server_url,
                                   const session::SessionSnapshot& snapshot) {
    std::string text(session::to_string(snapshot.state));
    if (snapshot.state == session::State::online || snapshot.state == session::State::connecting ||
        snapshot.state == session::State::awaiting_welcome) {
        text += " to " + one_line(server_url, kMaxErrorChars);
    }
    if (snapshot.state == session::State::online && snapshot.session_id) {
        text += " (session " + one_line(*snapshot.session_id, kSessionChars) + ")";
        return text;
    }
    if (snapshot.state != session::State::online && snapshot.last_error &&
        snapshot.state != session::State::connecting &&
        snapshot.state != session::State::awaiting_welcome) {
        text += ": " + one_line(snapshot.last_error->what, kMaxErrorChars);
    }
    if (snapshot.next_retry_in) {
        auto seconds = std::chrono::ceil<std::chrono::seconds>(*snapshot.next_retry_in);
        text += ", next attempt in " + std::to_string(seconds.count()) + " s";
    }
    return text;
}

}  // namespace outpost::runtime
