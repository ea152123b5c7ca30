#include "agent/runtime/session_driver.hpp"

#include <utility>

#include "agent/log/log.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "agent/runtime/connection_settings.hpp"
#include "agent/runtime/hello.hpp"
#include "agent/runtime/session_record.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "session";
// While the previous connection is still closing, try again this soon.
constexpr std::chrono::milliseconds kBusyRetry{20};
// Never spin: a deadline already passed is re-checked after this.
constexpr std::chrono::milliseconds kMinTick{5};
// The send queue's high-water mark, in largest messages: one being written
// and one waiting. Since any message below the mark is accepted, the queue
// never holds more than (this + 1) x max_message_bytes.
constexpr std::size_t kSendQueueMarkMessages = 2;

session::TokenFailure session_failure(auth::TokenFailureKind kind) {
    switch (kind) {
        case auth::TokenFailureKind::unauthorized:
            return session::TokenFailure::unauthorized;
        case auth::TokenFailureKind::revoked:
            return session::TokenFailure::forbidden;
        case auth::TokenFailureKind::transient:
            return session::TokenFailure::server_error;
        case auth::TokenFailureKind::malformed:
            return session::TokenFailure::malformed;
        case auth::TokenFailureKind::local:
            return session::TokenFailure::connection_failed;
    }
    return session::TokenFailure::server_error;
}

std::optional<session::TokenLifetime> lifetime(const auth::Token& token) {
    if (!token.expires_at) return std::nullopt;
    return session::TokenLifetime{token.issued_at, *token.expires_at};
}

}  // namespace

SessionDriver::SessionDriver(const config::Config& config, const auth::Identity& identity,
                             SessionParts parts)
    : config_(config),
      identity_(identity),
      clock_(std::move(parts.clock)),
      random_(std::move(parts.random)),
      policy_(reconnect_settings(config), token_mode(config), *clock_, *random_),
      tokens_(std::move(parts.tokens)),
      connect_settings_(std::move(parts.connect)),
      ws_connection_(parts.make_connection(connection_events(Role::websocket))),
      poll_connection_(parts.make_poll_connection
                           ? parts.make_poll_connection(connection_events(Role::poll))
                           : nullptr),
      connection_(ws_connection_.get()),
      poll_settings_(std::move(parts.poll_connect)),
      fallback_(poll_connection_ ? fallback_settings(config) : session::FallbackSettings{},
                *clock_),
      probe_timer_(parts.make_timer()),
      switch_timer_(parts.make_timer()),
      probe_backoff_(config.reconnect.initial, config.reconnect.max),
      attempt_timer_(parts.make_timer()),
      tick_timer_(parts.make_timer()),
      session_record_(std::move(parts.session_record)),
      boot_id_(std::move(parts.boot_id)),
      send_queue_mark_(kSendQueueMarkMessages * config.protocol.max_message_bytes) {
    restore_session_record();
    if (connect_settings_.proxy) {
        log::info(kLog, "using HTTP CONNECT proxy {}", *connect_settings_.proxy);
    }
    // protocol.md §1: with ws:// the agent warns at start (the agent logs it
    // with the other start-up warnings, and `outpost status` shows it) and
    // in `status`: this is the reason its status{online} carries.
    if (plaintext_server(config)) online_reason_ = plaintext_warning();
}

SessionDriver::~SessionDriver() = default;

void SessionDriver::start() {
    log_transport();  // server.transport: poll polls from the start
    const auto decision = policy_.on_start(host_rebooted_);
    if (decision.action == session::Action::wait_then_connect) {
        log::info(kLog, "host rebooted since the last session: first attempt in {} ms (boot splay)",
                  decision.delay.count());
    }
    apply(decision);
}

void SessionDriver::restore_session_record() {
    if (session_record_.empty()) return;
    auto loaded = load_session_record(session_record_);
    if (!loaded) {
        // Treated as "no session yet": the only loss is one boot splay.
        log::warn(kLog, "ignoring {}: {}", session_record_.string(), loaded.error().message());
        return;
    }
    if (!*loaded) return;
    policy_.remember_spread((*loaded)->reconnect_spread);
    host_rebooted_ = host_rebooted_since(*loaded, boot_id_);
}

void SessionDriver::save_session_record() {
    if (session_record_.empty()) return;
    const SessionRecord record{boot_id_, policy_.spread()};
    if (auto saved = runtime::save_session_record(session_record_, record); !saved) {
        log::warn(kLog, "cannot keep the session record: {}", saved.error().message());
    }
}

bool SessionDriver::online() const {
    return policy_.state() == session::State::online;
}

bool SessionDriver::idle() const {
    const auto idle = [](const std::unique_ptr<transport::Connection>& c) {
        return !c || c->state() == transport::ConnectionState::kIdle;
    };
    return idle(ws_connection_) && idle(poll_connection_);
}

session::SessionSnapshot SessionDriver::snapshot() const {
    session::SessionSnapshot snapshot = policy_.snapshot();
    snapshot.transport = fallback_.snapshot();
    return snapshot;
}

// --- attempts and tokens ---

void SessionDriver::schedule_attempt(std::chrono::milliseconds delay) {
    attempt_timer_->schedule(delay, [this] { attempt(); });
}

void SessionDriver::attempt() {
    choose_transport();
    if (connection_->state() != transport::ConnectionState::kIdle) {
        schedule_attempt(kBusyRetry);  // the previous connection is still closing
        return;
    }
    auto plan = policy_.on_connect_attempt();
    log_transition();
    if (!plan.proceed) return;
    if (plan.fetch_token || !token_) {
        fetch_token([this](auth::TokenResult result) { on_attempt_token(std::move(result)); });
    } else {
        connect_with(token_->value);
    }
    arm_tick();
}

void SessionDriver::fetch_token(std::function<void(auth::TokenResult)> done) {
    std::uint64_t generation = ++fetch_generation_;
    fetch_in_turn([this, generation, done = std::move(done)](auth::TokenResult result) {
        if (generation != fetch_generation_) return;  // superseded or shut down
        done(std::move(result));
    });
}

void SessionDriver::fetch_in_turn(auth::TokenCallback done) {
    fetch_queue_.push_back(std::move(done));
    if (!fetching_) next_fetch();
}

void SessionDriver::next_fetch() {
    if (fetching_ || fetch_queue_.empty()) return;
    fetching_ = true;
    auth::TokenCallback done = std::move(fetch_queue_.front());
    fetch_queue_.pop_front();
    // The provider may answer before fetch() returns (jwt, static).
    tokens_->fetch([this, done = std::move(done)](auth::TokenResult result) {
        fetching_ = false;
        done(std::move(result));
        next_fetch();
    });
}

void SessionDriver::on_attempt_token(auth::TokenResult result) {
    if (!result) {
        log::warn(kLog, "no token ({}): {}", auth::to_string(result.error().kind),
                  result.error().cause);
        apply(policy_.on_token_failure(session_failure(result.error().kind), result.error().cause));
        return;
    }
    token_ = std::move(*result);
    policy_.on_token_obtained(lifetime(*token_));
    connect_with(token_->value);
}

void SessionDriver::connect_with(const std::string& token) {
    const transport::ConnectSettings& settings =
        policy_.polling() ? poll_settings_ : connect_settings_;
    log::debug(kLog, "{} {} (token {})", policy_.polling() ? "polling" : "connecting to",
               settings.url, log::Redacted{token});
    auto started = connection_->connect(settings, token);
    if (!started) {
        log::warn(kLog, "cannot connect: {}", started.error().message());
        apply(policy_.on_transport_failure(started.error().message()));
    }
}

void SessionDriver::start_reauth() {
    fetch_token([this](auth::TokenResult result) {
        if (!result) {
            log::warn(kLog, "re-authentication token failed ({}): {}",
                      auth::to_string(result.error().kind), result.error().cause);
            apply(policy_.on_token_failure(session_failure(result.error().kind),
                                           result.error().cause));
            return;
        }
        token_ = std::move(*result);
        policy_.on_token_obtained(lifetime(*token_));
        // A polling period sends the token with every poll (§7).
        if (online()) connection_->update_token(token_->value);
        if (online() && send_now(protocol::outbound::Reauth{token_->value})) {
            log::info(kLog, "re-authenticating the live connection");
        }
        arm_tick();
    });
}

// --- connection events ---

void SessionDriver::on_open(std::string_view subprotocol) {
    above_mark_ = false;  // a new connection, a new queue
    refused_above_mark_ = 0;
    sent_in_period_ = 0;
    delivery_probes_.clear();
    drained_pending_ = false;  // the welcome re-sends what is owed
    std::optional<std::string_view> selected;
    if (!subprotocol.empty()) selected = subprotocol;
    apply(policy_.on_established(selected));
    if (policy_.state() != session::State::awaiting_welcome) return;
    // protocol.md §3.1: hello first, then nothing else until welcome.
    protocol::outbound::Backlog backlog;
    if (hooks_.backlog) backlog = hooks_.backlog();
    auto hello =
        build_hello(identity_, hooks_.capabilities, backlog, hooks_.sandbox, hooks_.journal);
    // §8: the transport path's seal offer, when it seals this connection.
    if (auto seal = connection_->hello_seal()) {
        hello.seal = protocol::outbound::SealOffer{seal->v, std::move(seal->epk)};
    }
    send_now(std::move(hello));
}

void SessionDriver::on_message(std::string_view text) {
    policy_.on_inbound_message();
    auto parsed = parser_.parse(text, config_.protocol.max_message_bytes);
    if (!parsed) {
        const protocol::ProtocolError& error = parsed.error();
        policy_.count_invalid_payload(protocol::to_string(error.code));
        log::warn(kLog, "invalid message from server ({}{}): {}", protocol::to_string(error.code),
                  error.path ? " at " + *error.path : "", error.message);
        if (online()) send_now(protocol::outbound::error_reply(error));
        arm_tick();
        return;
    }
    handle(*parsed);
    arm_tick();
}

void SessionDriver::on_invalid(protocol::ErrorCode code, std::string message) {
    policy_.count_invalid_payload(protocol::to_string(code));
    log::warn(kLog, "invalid frame from server ({}): {}", protocol::to_string(code), message);
    if (online()) {
        send_now(protocol::outbound::error_reply(
            protocol::ProtocolError{code, std::move(message), std::nullopt, std::nullopt}));
    }
}

void SessionDriver::handle(const protocol::InboundMessage& message) {
    using namespace protocol::inbound;
    if (const auto* welcome = std::get_if<Welcome>(&message.body)) {
        bool was_online = online();
        std::optional<std::int64_t> spread;
        if (welcome->reconnect_spread_s) spread = *welcome->reconnect_spread_s;
        apply(policy_.on_welcome({welcome->protocol, welcome->session_id,
                                  static_cast<std::int64_t>(welcome->heartbeat_s), spread}));
        if (!online()) return;
        save_session_record();
        if (hooks_.on_telemetry_interval) hooks_.on_telemetry_interval(welcome->telemetry_s);
        if (was_online) {
            log::info(kLog, "re-authenticated (session {})", welcome->session_id);
            return;
        }
        if (policy_.polling()) {
            log::info(kLog, "online over polling (session {}, a poll every {} ms)",
                      welcome->session_id, poll_settings_.poll_interval.count());
        } else {
            log::info(kLog, "online (session {}, heartbeat {} s)", welcome->session_id,
                      welcome->heartbeat_s);
            // §7: a WebSocket is up; polling (if it ran) is over.
            if (fallback_.on_websocket_up()) log_transport();
        }
        // §3.1 step 3: stored results without result_ack go first (queued
        // by on_online), then this session's status, then the outbox's kept
        // messages at their flush rate, and normal traffic.
        if (hooks_.on_online) hooks_.on_online();
        // After every welcome of a new connection: the server saw the node
        // go (the connection dropped) and come back, a change either way.
        post_node_status();
        return;
    }
    // protocol.md §3.1: until welcome the agent sends nothing but hello.
    if (!online()) {
        log::debug(kLog, "ignoring {} before welcome", message.type);
        return;
    }
    if (std::holds_alternative<Ping>(message.body)) {
        send_now(protocol::outbound::Pong{message.id});
    } else if (const auto* pong = std::get_if<Pong>(&message.body)) {
        // Proof of life (on_inbound_message() counted it), and for the
        // outbox proof that the server read what came before its ping.
        if (hooks_.on_pong) hooks_.on_pong(pong->ref);
    } else if (const auto* reconnect = std::get_if<Reconnect>(&message.body)) {
        log::info(kLog, "server asked to reconnect after {} ({})",
                  reconnect->after_ms ? std::to_string(*reconnect->after_ms) + " ms"
                                      : std::string("a short jitter"),
                  reconnect->reason.value_or(""));
        std::optional<std::int64_t> after_ms;
        if (reconnect->after_ms) after_ms = static_cast<std::int64_t>(*reconnect->after_ms);
        apply(policy_.on_reconnect_request(after_ms, reconnect->reason.value_or("")));
    } else if (const auto* error = std::get_if<protocol::inbound::Error>(&message.body)) {
        log::warn(kLog, "server reported error {} (ref {}): {}", error->code,
                  error->ref.value_or("null"), error->message);
    } else if (hooks_.on_message) {
        hooks_.on_message(message);
    } else {
        send_now(protocol::outbound::error_reply(
            protocol::ProtocolError{protocol::ErrorCode::unsupported,
                                    "this agent does not handle `" + message.type + "` messages",
                                    std::nullopt, message.id}));
    }
}

// --- decisions and timers ---

void SessionDriver::apply(const session::Decision& decision) {
    using session::Action;
    switch (decision.action) {
        case Action::none:
            break;
        case Action::connect_now:
            schedule_attempt(std::chrono::milliseconds(0));
            break;
        case Action::wait_then_connect:
            schedule_attempt(decision.delay);
            break;
        case Action::close_then_wait:
            connection_->close(decision.close_code.value_or(1000), decision.reason);
            schedule_attempt(decision.delay);
            break;
        case Action::drop_then_wait:
            connection_->abort();
            schedule_attempt(decision.delay);
            break;
        case Action::stop:
            attempt_timer_->cancel();
            break;
    }
    if (decision.action == Action::wait_then_connect ||
        decision.action == Action::close_then_wait || decision.action == Action::drop_then_wait) {
        log::info(kLog, "next attempt in {} ms", decision.delay.count());
    }
    log_transition();
    arm_tick();
}

void SessionDriver::arm_tick() {
    auto deadline = policy_.next_deadline();
    if (!deadline) {
        tick_timer_->cancel();
        return;
    }
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock_->now());
    tick_timer_->schedule(std::max(delay, kMinTick), [this] { on_tick(); });
}

void SessionDriver::on_tick() {
    // The queue drains without telling anyone: look before the policy decides.
    note_send_queue();
    if (std::exchange(drained_pending_, false) && online() && hooks_.on_send_queue_drained) {
        hooks_.on_send_queue_drained();
    }
    auto result = policy_.on_tick();
    if (result.send_ping) send_now(protocol::outbound::Ping{});
    if (result.send_reauth) start_reauth();
    if (result.decision.action != session::Action::none) {
        log::warn(kLog, "{}", result.decision.reason);
    }
    apply(result.decision);
}

void SessionDriver::log_transition() {
    session::State now = policy_.state();
    if (now == logged_state_) return;
    std::string reason = policy_.history().empty() ? "" : policy_.history().back().reason;
    log::info(kLog, "state {} -> {}{}", session::to_string(logged_state_), session::to_string(now),
              reason.empty() ? "" : " (" + reason + ")");
    logged_state_ = now;
    if (hooks_.on_state_changed) hooks_.on_state_changed();
}

void SessionDriver::shutdown(std::string_view reason) {
    ++fetch_generation_;  // drop any token answer still on its way
    ++probe_generation_;
    draining_online_ = online();  // terminal: the connection only closes from here
    if (online()) post_status(protocol::outbound::NodeStatus::offline, std::string(reason));
    auto decision = policy_.shutdown(reason);
    (void)decision;  // terminal: nothing to schedule
    attempt_timer_->cancel();
    tick_timer_->cancel();
    probe_timer_->cancel();
    switch_timer_->cancel();
    if (probing_) ws_connection_->abort();  // a background attempt has nothing to flush
    log_transition();
}

bool SessionDriver::flushed() const {
    return connection_->state() != transport::ConnectionState::kOpen ||
           connection_->fully_written();
}

void SessionDriver::close_for_shutdown() {
    if (connection_->state() != transport::ConnectionState::kIdle) {
        connection_->close(1001, "agent shutting down");
    }
}

}  // namespace outpost::runtime
