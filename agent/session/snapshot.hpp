#pragma once
// What `outpost status` and the metrics show about the connection (§6).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agent/session/fallback.hpp"
#include "agent/session/state.hpp"

namespace outpost::session {

struct LastError {
    std::string what;   // e.g. "upgrade refused: HTTP 503"
    std::string cause;  // detail from the transport or the server, may be empty
    std::chrono::system_clock::time_point at;
    // What happened, from the agent's own names, never the peer's text:
    // "connection_failed", "http_503", "close_4001", "seal_unsealed",
    // "token_timeout", ... The metrics label it (metrics/instruments.hpp).
    std::string kind;
};

struct SessionSnapshot {
    State state = State::connecting;
    std::chrono::system_clock::time_point since;
    std::uint64_t attempt = 0;  // consecutive unsuccessful connections (§5 "n")
    std::optional<std::chrono::milliseconds> next_retry_in;  // while waiting to reconnect
    std::optional<LastError> last_error;
    std::optional<int> last_close_code;  // the server's, from the last close frame
    std::optional<std::chrono::system_clock::time_point> token_expiry;
    std::optional<std::string> session_id;  // of the current or most recent session
    std::uint64_t reconnects = 0;           // attempts after the first one
    std::map<std::string, std::uint64_t, std::less<>> auth_failures;     // by reason
    std::map<std::string, std::uint64_t, std::less<>> invalid_payloads;  // by §3.5 code
    std::map<std::string, std::uint64_t, std::less<>> transitions;       // entries per state
    std::map<std::string, std::uint64_t, std::less<>> seal_failures;     // §8, by refusal
    TransportSnapshot transport;  // §7: websocket or poll, since when, why
};

}  // namespace outpost::session
