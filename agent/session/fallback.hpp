#pragma once
// The HTTPS polling fallback's policy (protocol.md §7) as pure code: which
// transport carries the session, since when and why. The session driver
// feeds it the outcome of every WebSocket attempt (the main ones and, while
// polling, the background ones) and asks it where the next period goes;
// time comes only from the injected Clock, so the rules are unit-tested
// over sequences (tests/agent/session/test_fallback.cpp).
//
// Rules (docs/session-policy.md "Polling fallback"):
// - Without server.poll_url nothing here applies: always the WebSocket.
// - `server.transport: poll` polls from the start, and still tries the
//   WebSocket in the background like any polling period (§7: "keeps trying
//   the WebSocket in the background and switches back the moment one comes
//   up"; integ a4be209). It says where the agent starts, not where it stays.
// - Otherwise the WebSocket first. A failed upgrade is what can be the
//   middlebox: a TCP/TLS/proxy failure, a timeout, or an answer with a
//   status no outpost server sends to a healthy agent (anything but
//   101/401/403/429/503: an intermediary that drops `Upgrade`). Polling
//   starts when failed upgrades have gone on for poll_after (measured from
//   the first of the run), or at once after three such answers in a row.
//   An answer of 101/401/403/429/503 comes from the outpost server, so the
//   upgrade path works: it ends the run (clock and row start again).
// - While polling the driver keeps trying the WebSocket in the background
//   with the normal backoff; the moment one is up (101 with our
//   subprotocol, then welcome) the session is back on the WebSocket.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "agent/session/clock.hpp"

namespace outpost::session {

enum class Transport { websocket, poll };

[[nodiscard]] std::string_view to_string(Transport transport);

// With poll_url set, §7: an upgrade answered with this status is a failed
// upgrade (an intermediary that does not pass `Upgrade`), not §1's
// reaction; 101, 401, 403, 429 and 503 keep §1's meaning.
[[nodiscard]] bool intermediary_status(int http_status);

struct FallbackSettings {
    bool poll_configured = false;  // server.poll_url is set
    bool poll_only = false;        // server.transport: poll
    std::chrono::milliseconds poll_after{5 * 60 * 1000};
    int intermediary_answers = 3;  // in a row: poll at once
};

// What `outpost status` shows about the transport.
struct TransportSnapshot {
    Transport transport = Transport::websocket;
    std::chrono::system_clock::time_point since;
    std::string reason;  // why this transport: "3 upgrades answered 400", ...
};

class FallbackPolicy {
  public:
    FallbackPolicy(const FallbackSettings& settings, const Clock& clock);

    [[nodiscard]] Transport transport() const { return snapshot_.transport; }
    [[nodiscard]] const TransportSnapshot& snapshot() const { return snapshot_; }
    // While polling, whether the driver keeps trying the WebSocket.
    [[nodiscard]] bool probes_websocket() const;

    // A WebSocket attempt ended without a session: `http_status` is the
    // upgrade's answer, none for a TCP/TLS/proxy failure or a timeout.
    // Returns true when this switched the session to polling.
    bool on_upgrade_failed(std::optional<int> http_status);
    // A WebSocket session came up (welcome on a WebSocket). Returns true
    // when this switched the session back from polling.
    bool on_websocket_up();

  private:
    void switch_to(Transport transport, std::string reason);

    FallbackSettings settings_;
    const Clock& clock_;
    TransportSnapshot snapshot_;
    std::optional<std::chrono::steady_clock::time_point> failing_since_;
    int intermediary_in_a_row_ = 0;
    int last_intermediary_status_ = 0;
};

}  // namespace outpost::session
