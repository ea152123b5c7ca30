#include "agent/session/fallback.hpp"

#include <fmt/format.h>

namespace outpost::session {
namespace {

// "5m", "90s": how poll_after reads in the reason.
std::string duration_text(std::chrono::milliseconds d) {
    using namespace std::chrono;
    if (d % minutes(1) == milliseconds(0))
        return fmt::format("{}m", duration_cast<minutes>(d).count());
    if (d % seconds(1) == milliseconds(0))
        return fmt::format("{}s", duration_cast<seconds>(d).count());
    return fmt::format("{}ms", d.count());
}

}  // namespace

std::string_view to_string(Transport transport) {
    switch (transport) {
        case Transport::websocket:
            return "websocket";
        case Transport::poll:
            return "poll";
    }
    return "websocket";
}

bool intermediary_status(int http_status) {
    switch (http_status) {
        case 101:
        case 401:
        case 403:
        case 429:
        case 503:
            return false;
        default:
            return true;
    }
}

FallbackPolicy::FallbackPolicy(const FallbackSettings& settings, const Clock& clock)
    : settings_(settings), clock_(clock) {
    snapshot_.since = clock_.wall_now();
    if (settings_.poll_configured && settings_.poll_only) {
        snapshot_.transport = Transport::poll;
        snapshot_.reason = "server.transport: poll";
    }
}

// Also with `server.transport: poll`: §7 has the agent keep trying the
// WebSocket in the background whichever way polling began, and switch back
// the moment one comes up (docs/protocol-notes.md, "HTTPS polling").
bool FallbackPolicy::probes_websocket() const {
    return snapshot_.transport == Transport::poll;
}

bool FallbackPolicy::on_upgrade_failed(std::optional<int> http_status) {
    if (!settings_.poll_configured) return false;
    if (http_status && !intermediary_status(*http_status)) {
        // 101/401/403/429/503 come from the outpost server itself: the
        // upgrade path works, so this is no middlebox. A maintenance 503 or
        // a rate limit must not move the fleet onto polling (review 3, item 6).
        failing_since_.reset();
        intermediary_in_a_row_ = 0;
        return false;
    }
    const auto now = clock_.now();
    if (!failing_since_) failing_since_ = now;
    if (http_status) {
        ++intermediary_in_a_row_;
        last_intermediary_status_ = *http_status;
    } else {
        intermediary_in_a_row_ = 0;
    }
    if (snapshot_.transport == Transport::poll) return false;  // a background attempt
    if (intermediary_in_a_row_ >= settings_.intermediary_answers) {
        switch_to(Transport::poll, fmt::format("{} upgrades answered {}", intermediary_in_a_row_,
                                               last_intermediary_status_));
        return true;
    }
    if (now - *failing_since_ >= settings_.poll_after) {
        switch_to(Transport::poll,
                  fmt::format("upgrade failed for {}", duration_text(settings_.poll_after)));
        return true;
    }
    return false;
}

bool FallbackPolicy::on_websocket_up() {
    failing_since_.reset();
    intermediary_in_a_row_ = 0;
    if (snapshot_.transport == Transport::websocket) return false;
    switch_to(Transport::websocket, "websocket back");
    return true;
}

void FallbackPolicy::switch_to(Transport transport, std::string reason) {
    snapshot_.transport = transport;
    snapshot_.since = clock_.wall_now();
    snapshot_.reason = std::move(reason);
}

}  // namespace outpost::session
