#pragma once
// Drives one control-plane session on the event loop: asks the pure
// SessionPolicy what to do, carries it out with the transport (connect,
// close, timers) and the token provider, sends hello/ping/pong/reauth, and
// answers invalid frames with `error`. Messages that are not about the
// session itself go to the message handler (the dispatcher).
//
// With server.poll_url the session may run over the HTTPS polling fallback
// (protocol.md §7): session::FallbackPolicy says which transport the next
// attempt uses, each polling period is one "connection" of the same
// SessionPolicy (hello, welcome, traffic), and while polling a WebSocket is
// tried in the background (session_driver_poll.cpp); once one is up the
// polling period ends and the session continues over it (docs/transport.md
// "Polling").
//
// The transport, tokens, timers and clock come from outside (SessionParts,
// session_parts.hpp), so the driver is tested in-process with a test
// transport and a fake clock (tests/agent/runtime/test_session_driver.cpp).

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/auth/identity.hpp"
#include "agent/auth/token_provider.hpp"
#include "agent/auth/uuid.hpp"
#include "agent/config/config.hpp"
#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/runtime/session_parts.hpp"
#include "agent/session/backoff.hpp"
#include "agent/session/clock.hpp"
#include "agent/session/fallback.hpp"
#include "agent/session/policy.hpp"
#include "agent/transport/connection.hpp"

namespace outpost::runtime {

class SessionDriver {
  public:
    using MessageHandler = std::function<void(const protocol::InboundMessage&)>;
    // What the rest of the agent contributes to the session.
    struct Hooks {
        MessageHandler on_message;        // every message that is not about the session
        std::function<void()> on_online;  // after each new session's welcome
        std::function<protocol::outbound::Backlog()> backlog;      // for hello
        std::vector<std::string> capabilities;                     // for hello
        std::optional<protocol::outbound::SandboxReport> sandbox;  // for hello
        std::optional<protocol::outbound::JournalReport> journal;  // for hello
        // Every pong from the server (the outbox's confirmations).
        std::function<void(std::string_view ref)> on_pong;
        // Why the node cannot do its job while connected (the journal is
        // unusable): welcome's status is then `degraded` with this reason.
        std::function<std::optional<std::string>()> degraded_reason;
        // The send queue drained below its mark after refusing messages
        // (results among them, perhaps): what is owed may go now rather
        // than after the next welcome. Called from the driver's tick.
        std::function<void()> on_send_queue_drained;
        // Each welcome's telemetry_s (nullopt: the server set none), before
        // on_online.
        std::function<void(std::optional<std::uint32_t>)> on_telemetry_interval;
        // After each change of the connection state (snapshot() has it):
        // systemd's STATUS= line.
        std::function<void()> on_state_changed;
    };

    // `config` and `identity` must outlive the driver.
    SessionDriver(const config::Config& config, const auth::Identity& identity, SessionParts parts);
    ~SessionDriver();
    SessionDriver(const SessionDriver&) = delete;
    SessionDriver& operator=(const SessionDriver&) = delete;

    // Begins connecting (the first attempt runs on the next loop pass).
    void start();
    // Graceful end in two steps, with the loop run in between: shutdown()
    // queues `status{offline}` when online and makes the policy terminal;
    // once flushed(), close_for_shutdown() sends close 1001; then idle().
    void shutdown(std::string_view reason);
    [[nodiscard]] bool flushed() const;
    void close_for_shutdown();
    [[nodiscard]] bool idle() const;

    [[nodiscard]] bool online() const;
    [[nodiscard]] session::SessionSnapshot snapshot() const;
    [[nodiscard]] session::Transport transport() const { return fallback_.transport(); }
    // An invalid message found past the parser (by the dispatcher), counted
    // with the parser's in the snapshot's invalid_payloads.
    void count_invalid_payload(std::string_view code) { policy_.count_invalid_payload(code); }

    // Sends a message while online (after welcome); false when not online
    // or it could not be queued (above the send queue's high-water mark
    // among others: a result stays in the journal and goes again after the
    // next welcome).
    bool send(protocol::outbound::Body body);
    // While online: status{degraded} or status{online} when the node's
    // state (Hooks::degraded_reason) changed since the last status sent
    // (§3.2 "on change"). Called periodically; welcome always sends one.
    void recheck_status();
    // The same for a message already encoded (the outbox keeps them so).
    bool send_encoded(std::string text);
    // A `ping` while online; returns its id, which the server's pong{ref}
    // names once it has read everything sent before it.
    std::optional<std::string> send_probe();
    void set_hooks(Hooks hooks) { hooks_ = std::move(hooks); }
    // The connection's send queue is at or above the high-water mark
    // (2 x protocol.max_message_bytes): producers pause, new messages are
    // refused until it drains (docs/transport.md, "Back-pressure").
    [[nodiscard]] bool backpressured() const;
    // At or above half that mark: where live-only bulk producers (log
    // streams) pause, so the pongs the mark would refuse still find room.
    [[nodiscard]] bool half_backpressured() const;

  private:
    enum class Role { websocket, poll };
    [[nodiscard]] transport::ConnectionEvents connection_events(Role role);
    // Whether an event of `role`'s connection is a background WebSocket's.
    [[nodiscard]] bool background(Role role) const;
    // Whether an event of `role`'s connection belongs to the session now.
    [[nodiscard]] bool current(Role role) const;
    void on_refused(std::optional<int> status, std::optional<int> retry_after);
    void on_failure(std::string cause);
    // --- the polling fallback (session_driver_poll.cpp) ---
    void choose_transport();
    // A WebSocket attempt of the session failed; may switch to polling.
    void note_upgrade_failed(std::optional<int> http_status);
    void log_transport();
    void schedule_probe();
    void probe();
    // §2: every background attempt gets its own fresh token; `after_401`
    // is the one immediate retry §1 allows after a 401.
    void fetch_probe_token(bool after_401);
    void connect_probe(auth::TokenResult result);
    void on_probe_open(std::string_view subprotocol);
    void on_probe_failed(std::optional<int> http_status, std::string cause);
    void cap_switch_wait();
    void finish_switch();
    void on_delivered(std::uint64_t through);
    void count_sent();
    // Any state with an open connection: hello, reauth, pong, errors, status.
    bool send_now(protocol::outbound::Body body, std::string id = auth::uuid_v4());
    void attempt();
    void fetch_token(std::function<void(auth::TokenResult)> done);
    // The provider runs one fetch at a time (exchange: one HTTPS POST), so
    // the session's fetches and the background attempt's queue here.
    void fetch_in_turn(auth::TokenCallback done);
    void next_fetch();
    void on_attempt_token(auth::TokenResult result);
    void connect_with(const std::string& token);
    void start_reauth();
    // §5: the last session's record (boot splay, spread hint) in and out.
    void restore_session_record();
    void save_session_record();

    void on_open(std::string_view subprotocol);
    void on_message(std::string_view text);
    void on_invalid(protocol::ErrorCode code, std::string message);
    void handle(const protocol::InboundMessage& message);

    void apply(const session::Decision& decision);
    void schedule_attempt(std::chrono::milliseconds delay);
    void arm_tick();
    void on_tick();
    void log_transition();
    void note_send_queue();  // tells the policy, logs crossings of the mark
    // False when it could not be queued (offline, or over the send queue's reserve).
    bool post_status(protocol::outbound::NodeStatus status, std::optional<std::string> reason);
    void post_node_status();  // online or degraded, whichever holds now

    const config::Config& config_;
    const auth::Identity& identity_;

    std::unique_ptr<session::Clock> clock_;
    std::unique_ptr<session::Random> random_;
    session::SessionPolicy policy_;
    std::unique_ptr<auth::TokenProvider> tokens_;
    transport::ConnectSettings connect_settings_;
    std::unique_ptr<transport::Connection> ws_connection_;
    std::unique_ptr<transport::Connection> poll_connection_;  // null without server.poll_url
    transport::Connection* connection_;                       // the session's: one of the two
    transport::ConnectSettings poll_settings_;
    session::FallbackPolicy fallback_;
    // While polling, the background WebSocket attempts (§7).
    std::unique_ptr<DriverTimer> probe_timer_;
    // Caps the wait for a poll in flight when the WebSocket is up (kSwitchWait).
    std::unique_ptr<DriverTimer> switch_timer_;
    session::Backoff probe_backoff_;
    bool probe_scheduled_ = false;
    bool probing_ = false;        // ws_connection_ is a background attempt
    bool switching_ = false;      // it is up: the polling period ends, then the session moves
    bool probe_retried_ = false;  // this attempt already retried after a 401
    std::uint64_t probe_generation_ = 0;  // stale probe token callbacks are ignored
    std::string probe_subprotocol_;
    session::Transport logged_transport_ = session::Transport::websocket;
    // Over polling, the outbox's proof of delivery is the 200 that answered
    // the poll carrying its messages: a probe is confirmed once
    // on_delivered() covers the messages sent before it.
    std::uint64_t sent_in_period_ = 0;
    std::deque<std::pair<std::uint64_t, std::string>> delivery_probes_;
    protocol::InboundParser parser_;
    std::unique_ptr<DriverTimer> attempt_timer_;
    std::unique_ptr<DriverTimer> tick_timer_;
    std::filesystem::path session_record_;  // empty: not kept
    std::string boot_id_;
    bool host_rebooted_ = false;  // since the recorded session: splay the first attempt

    std::optional<auth::Token> token_;
    std::uint64_t fetch_generation_ = 0;           // stale token callbacks are ignored
    std::deque<auth::TokenCallback> fetch_queue_;  // waiting for the provider
    bool fetching_ = false;                        // the provider has one running
    session::State logged_state_ = session::State::connecting;
    std::optional<std::string> online_reason_;  // status{online}'s reason (plaintext)
    bool posted_degraded_ = false;              // the last status{} of this session said degraded
    bool draining_online_ = false;          // shutdown() of a welcomed session: send() still works
    std::size_t send_queue_mark_;           // bytes; see backpressured()
    bool above_mark_ = false;               // as last noted, on this connection
    std::uint64_t refused_above_mark_ = 0;  // messages, on this connection
    bool drained_pending_ = false;          // on_send_queue_drained is owed at the next tick
    Hooks hooks_;
};

}  // namespace outpost::runtime
