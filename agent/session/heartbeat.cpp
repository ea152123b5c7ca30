#include "agent/session/heartbeat.hpp"

#include <algorithm>

namespace outpost::session {

std::chrono::seconds Heartbeat::interval_from(std::optional<std::int64_t> heartbeat_s) {
    if (!heartbeat_s) return default_interval;
    const std::int64_t clamped =
        std::clamp<std::int64_t>(*heartbeat_s, min_interval.count(), max_interval.count());
    return std::chrono::seconds{clamped};
}

void Heartbeat::start(time_point now, std::chrono::seconds interval) {
    running_ = true;
    interval_ = interval;
    last_inbound_ = now;
    last_ping_ = now;
}

void Heartbeat::on_inbound(time_point now) {
    if (now > last_inbound_) last_inbound_ = now;
}

void Heartbeat::on_ping_sent(time_point now) {
    last_ping_ = now;
}

}  // namespace outpost::session
