#pragma once
// The connection policy (§1, §2, §3.1, §5, §6) as pure code. The transport
// feeds it events and carries out the returned Decision; the policy never
// performs I/O and reads time only from the injected Clock, so every rule is
// unit-tested without sleeping.
//
// Event order for one attempt:
//   on_connect_attempt() → [token fetch: on_token_obtained / on_token_failure]
//   → on_transport_failure | on_upgrade_refused | on_established
//   → on_welcome → (on_inbound_message, on_tick)* → on_peer_close |
//     on_connection_lost | on_reconnect_request | a TickResult decision.
// Call on_tick() whenever next_deadline() passes (or just periodically);
// on_send_queue() whenever the transport's send queue may have crossed the
// high-water mark (after a send, before a tick).
//
// Connection events arriving when no connection is open (for instance the
// close callback that follows a close_then_wait the policy asked for) are
// ignored and return Action::none, so the transport need not filter them.
// After shutdown() every event is ignored.
//
// Not thread-safe: drive it from the transport's service loop.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "agent/session/backoff.hpp"
#include "agent/session/clock.hpp"
#include "agent/session/decision.hpp"
#include "agent/session/heartbeat.hpp"
#include "agent/session/rules.hpp"
#include "agent/session/settings.hpp"
#include "agent/session/snapshot.hpp"
#include "agent/session/state.hpp"
#include "agent/session/token_timing.hpp"

namespace outpost::session {

inline constexpr std::string_view protocol_v1 = "outpost.v1";
// The Sec-WebSocket-Protocol offer (§1): every version we speak, newest first.
inline constexpr std::array<std::string_view, 1> offered_protocols{protocol_v1};

// Whether `protocol` (a selected subprotocol or welcome.protocol) is one we speak.
[[nodiscard]] bool speaks_protocol(std::string_view protocol);

struct Welcome {
    std::string_view protocol;
    std::string_view session_id;
    std::optional<std::int64_t> heartbeat_s;
    // §3.1 (0–3600): the window a fleet told to go away spreads its return
    // over. Absent: the last value received stays in force.
    std::optional<std::int64_t> reconnect_spread_s{};
};

// The largest spread §3.1 allows; a larger value (which the codec already
// clamps) is taken as this one.
inline constexpr std::chrono::seconds max_reconnect_spread{3600};

// Outcomes of the token endpoint in `exchange` mode (§2).
enum class TokenFailure {
    unauthorized,
    forbidden,
    server_error,
    timeout,
    connection_failed,
    malformed
};

[[nodiscard]] std::string_view to_string(TokenFailure failure);

class SessionPolicy {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    static constexpr std::size_t max_history = 64;

    // `settings` should pass validate(); `clock` and `random` must outlive
    // the policy. Starts in `connecting` with no attempt made yet.
    SessionPolicy(const ReconnectSettings& settings, TokenMode mode, const Clock& clock,
                  Random& random);

    // --- start-up (§5) ---
    // The spread hint kept in the state directory from an earlier run.
    void remember_spread(std::optional<std::chrono::seconds> spread);
    // The first attempt: at once, unless the host rebooted since the last
    // session (its boot_id changed), then after a draw in [0, S] so a fleet
    // whose power comes back at once does not connect at once. Call once,
    // before the first on_connect_attempt().
    [[nodiscard]] Decision on_start(bool host_rebooted);

    // --- one connection attempt ---
    // Which transport the next attempts use (§7): a polling period has no
    // heartbeat (each poll is one) and its 426 is a version answer.
    void set_polling(bool polling) { polling_ = polling; }
    [[nodiscard]] bool polling() const { return polling_; }
    // §7: a background WebSocket came up (101 with our subprotocol) while
    // polling. The polling period (open, or waiting to start) is over; the
    // session goes on over that WebSocket: back in `connecting` with no
    // attempt scheduled, for on_established() to follow at once. Returns
    // false after shutdown() (nothing changes then).
    bool on_transport_switch(std::string_view reason);
    // The transport starts an attempt (at start-up, or when a wait elapsed).
    [[nodiscard]] AttemptPlan on_connect_attempt();
    // A token was obtained (absent lifetime: static token, unknown expiry).
    void on_token_obtained(std::optional<TokenLifetime> lifetime);
    // The token endpoint failed: during an attempt this ends the attempt;
    // while online (a reauth) the connection stays up and reauth is retried.
    [[nodiscard]] Decision on_token_failure(TokenFailure failure, std::string_view cause);
    // DNS, TCP, TLS or proxy failure, before any HTTP answer.
    [[nodiscard]] Decision on_transport_failure(std::string_view cause);
    // The upgrade got an HTTP status instead of 101 (§1).
    [[nodiscard]] Decision on_upgrade_refused(int http_status,
                                              std::optional<std::chrono::seconds> retry_after);
    // 101 received; `subprotocol` is the server's Sec-WebSocket-Protocol.
    [[nodiscard]] Decision on_established(std::optional<std::string_view> subprotocol);
    // A 101 naming a subprotocol the agent did not offer, refused by the
    // WebSocket layer before the connection opened: the same version
    // mismatch as on_established with a foreign one, with nothing to close.
    [[nodiscard]] Decision on_foreign_subprotocol(std::string_view selected);
    // A `welcome` (first one: session online; later ones: reauth accepted).
    [[nodiscard]] Decision on_welcome(const Welcome& welcome);

    // --- live connection ---
    // Every inbound frame, valid or not, proves the peer alive (§3.2).
    void on_inbound_message();
    // Server `reconnect{after_ms, reason}` (§3.3).
    [[nodiscard]] Decision on_reconnect_request(std::optional<std::int64_t> after_ms,
                                                std::string_view reason);
    // The server closed with `code` (§6); `after_ms` only for 4007 when the
    // server supplied one.
    [[nodiscard]] Decision on_peer_close(int code, std::string_view reason = {},
                                         std::optional<std::int64_t> after_ms = std::nullopt);
    // The transport's send queue is above (or back below) the high-water
    // mark: the driver reports it after queuing a message and before each
    // tick. Above it for 3 x heartbeat without once dropping below is a
    // write stall (the peer stopped reading, or the link carries nothing):
    // on_tick() then drops the connection like a dead peer. This is the
    // write-side check beside the read-side one: a server that keeps
    // sending but never reads looks alive to the heartbeat.
    void on_send_queue(bool above_mark);
    // A sealed channel refused what the server sent (§8): close with 1008 at
    // once, without an `error`, and back off. `counter` names the refusal
    // (snapshot().seal_failures), `what` is for logs and status.
    [[nodiscard]] Decision on_seal_failure(std::string_view counter, std::string_view what);
    // The connection broke without a close frame.
    [[nodiscard]] Decision on_connection_lost(std::string_view cause);
    // Timers: welcome timeout, ping, dead peer, reauth, stability reset.
    [[nodiscard]] TickResult on_tick();
    // Terminal: no reconnect ever after.
    [[nodiscard]] Decision shutdown(std::string_view reason);

    void count_invalid_payload(std::string_view code);

    // --- queries ---
    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] SessionSnapshot snapshot() const;
    [[nodiscard]] const std::deque<Transition>& history() const { return history_; }
    [[nodiscard]] const Heartbeat& heartbeat() const { return heartbeat_; }
    [[nodiscard]] std::uint64_t attempt() const { return backoff_.attempt(); }
    // The last welcome.reconnect_spread_s received (or remembered), if any.
    [[nodiscard]] std::optional<std::chrono::seconds> spread() const { return spread_; }
    // The earliest moment on_tick() or a reconnect has something to do.
    [[nodiscard]] std::optional<time_point> next_deadline() const;

  private:
    struct Outcome {
        State state;
        std::chrono::milliseconds delay;
        bool refresh_token;
    };

    [[nodiscard]] Outcome outcome_of(Reaction reaction,
                                     std::optional<std::chrono::milliseconds> hint);
    [[nodiscard]] Decision end_attempt(Reaction reaction,
                                       std::optional<std::chrono::milliseconds> hint, Action action,
                                       std::optional<int> close_code, std::string reason);
    [[nodiscard]] Decision wait(State to, Action action, std::chrono::milliseconds delay,
                                std::optional<int> close_code, bool refresh_token,
                                std::string reason);
    [[nodiscard]] Decision ignored(std::string_view event) const;
    // §5's S: the spread hint, or `initial` when the server never sent one.
    [[nodiscard]] std::chrono::milliseconds spread_window() const;
    void leave_connection();
    void reset_if_stable(time_point now);
    void transition(State to, std::string reason);
    void record_error(std::string kind, std::string what, std::string cause);
    void count_auth_failure(std::string_view reason);
    [[nodiscard]] std::optional<time_point> reauth_at() const;
    [[nodiscard]] std::optional<time_point> write_stall_deadline() const;

    ReconnectSettings settings_;
    TokenMode mode_;
    const Clock& clock_;
    Random& random_;

    State state_ = State::connecting;
    Backoff backoff_;
    Backoff reauth_backoff_;
    Heartbeat heartbeat_;
    std::deque<Transition> history_;
    SessionSnapshot snapshot_;

    std::optional<std::chrono::seconds> spread_;  // last welcome.reconnect_spread_s
    std::uint64_t attempts_started_ = 0;
    std::optional<time_point> next_attempt_at_;
    std::optional<time_point> welcome_deadline_;
    std::optional<time_point> online_since_;
    bool stable_reset_done_ = false;
    bool retried_401_ = false;                       // §1: at once only once
    std::optional<time_point> last_4001_reconnect_;  // §2.1: once per 10 s
    std::optional<TokenLifetime> token_;
    bool token_rejected_ = false;
    bool reauth_in_flight_ = false;
    std::optional<time_point> reauth_retry_at_;
    bool reauth_refused_ =
        false;  // 401/403 from the token endpoint: none until the next connection
    std::optional<time_point> above_mark_since_;  // the send queue's, on this connection
    bool polling_ = false;                        // the attempts are polling periods (§7)
};

}  // namespace outpost::session
