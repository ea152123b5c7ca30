#pragma once
// Application-level heartbeat (§3.2): the agent sends `ping` every
// heartbeat_s; when nothing at all has arrived for 3 x heartbeat_s the peer is
// considered dead. Pure bookkeeping: the caller passes the time.

#include <chrono>
#include <cstdint>
#include <optional>

namespace outpost::session {

class Heartbeat {
  public:
    using time_point = std::chrono::steady_clock::time_point;

    static constexpr std::chrono::seconds default_interval{30};  // §3.1
    // Our bounds for a server-chosen heartbeat_s: below 1 s is a busy loop,
    // above an hour would hide a dead peer for most of a day.
    static constexpr std::chrono::seconds min_interval{1};
    static constexpr std::chrono::seconds max_interval{3600};
    static constexpr int dead_after_intervals = 3;

    // welcome's heartbeat_s (absent → 30 s, clamped to the bounds above).
    [[nodiscard]] static std::chrono::seconds interval_from(
        std::optional<std::int64_t> heartbeat_s);

    // Starts (or restarts) the schedule at `now`, counting `now` as inbound.
    void start(time_point now, std::chrono::seconds interval);
    // Keeps the times, changes the cadence (a re-sent welcome after reauth).
    void set_interval(std::chrono::seconds interval) { interval_ = interval; }
    void stop() { running_ = false; }

    void on_inbound(time_point now);
    void on_ping_sent(time_point now);

    [[nodiscard]] bool running() const { return running_; }
    [[nodiscard]] std::chrono::seconds interval() const { return interval_; }
    [[nodiscard]] time_point next_ping_due() const { return last_ping_ + interval_; }
    [[nodiscard]] time_point dead_deadline() const {
        return last_inbound_ + dead_after_intervals * interval_;
    }
    [[nodiscard]] bool ping_due(time_point now) const { return running_ && now >= next_ping_due(); }
    [[nodiscard]] bool peer_dead(time_point now) const {
        return running_ && now >= dead_deadline();
    }

  private:
    bool running_ = false;
    std::chrono::seconds interval_{default_interval};
    time_point last_inbound_{};
    time_point last_ping_{};  // or the start, before the first ping
};

}  // namespace outpost::session
