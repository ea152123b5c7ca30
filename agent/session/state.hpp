#pragma once
// Connection states shown by `outpost status` (§6: every transition is
// visible, with the time it happened).

#include <chrono>
#include <string>
#include <string_view>

namespace outpost::session {

enum class State {
    connecting,        // token, TCP/TLS and WebSocket upgrade in progress
    awaiting_welcome,  // upgraded, `hello` sent, waiting for `welcome` (§3.1)
    online,            // `welcome` received
    backoff,           // waiting before the next attempt (§5)
    revoked,           // 403 / 4003 / token endpoint 403: retry every revoked_interval
    incompatible,      // no common protocol version: retry every incompatible_interval
    unauthorized,      // token endpoint rejected our identity (401): long backoff
    shutting_down,     // terminal: no more reconnects
};

[[nodiscard]] std::string_view to_string(State state);

// States in which a WebSocket (or an attempt at one) is open.
[[nodiscard]] bool has_connection(State state);

struct Transition {
    State state;
    std::chrono::system_clock::time_point since;
    std::string reason;
};

}  // namespace outpost::session
