#pragma once
// What the transport must do after feeding an event to the policy.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace outpost::session {

// Close codes the agent itself sends.
inline constexpr int close_normal = 1000;            // answering `reconnect` (§3.3)
inline constexpr int close_going_away = 1001;        // shutting down
inline constexpr int close_protocol_error = 1002;    // no/late welcome, version mismatch
inline constexpr int close_policy_violation = 1008;  // a sealed channel failed (§8)

enum class Action {
    none,               // nothing to do
    connect_now,        // start the next attempt immediately
    wait_then_connect,  // the connection is gone; start the next attempt after `delay`
    close_then_wait,    // send a close frame with `close_code`, then wait `delay`
    drop_then_wait,     // abort the socket (peer presumed dead), then wait `delay`
    stop,               // close with `close_code` if a connection is open; never reconnect
};

[[nodiscard]] std::string_view to_string(Action action);

struct Decision {
    Action action = Action::none;
    std::chrono::milliseconds delay{0};
    std::optional<int> close_code{};  // close_then_wait and stop
    // The current token was rejected or revoked: discard it. The transport
    // asks SessionPolicy::on_connect_attempt() whether to fetch one anyway.
    bool refresh_token = false;
    std::string reason{};  // for logs and `status`
};

// Returned by SessionPolicy::on_tick(); any combination may be set.
struct TickResult {
    Decision decision{};       // welcome timeout / dead peer, else Action::none
    bool send_ping = false;    // send `ping` now (already scheduled as sent)
    bool send_reauth = false;  // fetch a fresh token and send `reauth` (§2.1)
};

// Returned by SessionPolicy::on_connect_attempt().
struct AttemptPlan {
    bool proceed = true;       // false once shutting down
    bool fetch_token = false;  // obtain a fresh token before connecting (§2)
};

}  // namespace outpost::session
