// The SessionDriver's side of the HTTPS polling fallback (protocol.md §7):
// which transport an attempt uses, the background WebSocket attempts while
// polling, the switch back to a WebSocket, and the outbox's proof of
// delivery over polls. docs/transport.md "Polling" has the argument for why
// the switch loses and doubles nothing.
#include <fmt/format.h>

#include <utility>

#include "agent/log/log.hpp"
#include "agent/runtime/session_driver.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "session";
// How long the switch back waits for the poll in flight before aborting it.
// A hung poll would otherwise hold the new WebSocket unused for its whole
// timeout (10 s or more), close to a server's hello deadline. What the
// aborted poll carried is not lost: results go again after welcome, and
// unconfirmed outbox messages are sent again (at least once, §4).
constexpr std::chrono::milliseconds kSwitchWait{3000};

}  // namespace

bool SessionDriver::background(Role role) const {
    return role == Role::websocket && probing_;
}

bool SessionDriver::current(Role role) const {
    const transport::Connection* mine =
        role == Role::websocket ? ws_connection_.get() : poll_connection_.get();
    return mine == connection_ && !background(role);
}

// Each attempt goes where the fallback policy says; a polling period is one
// "connection" of the same session policy.
void SessionDriver::choose_transport() {
    const bool poll = poll_connection_ && fallback_.transport() == session::Transport::poll;
    connection_ = poll ? poll_connection_.get() : ws_connection_.get();
    policy_.set_polling(poll);
    if (poll) schedule_probe();
}

void SessionDriver::note_upgrade_failed(std::optional<int> http_status) {
    if (!poll_connection_ || !fallback_.on_upgrade_failed(http_status)) return;
    log_transport();
    // §7: polling starts at once, not after the WebSocket's backoff.
    schedule_attempt(std::chrono::milliseconds(0));
}

void SessionDriver::log_transport() {
    const session::TransportSnapshot& now = fallback_.snapshot();
    if (now.transport == logged_transport_) return;
    logged_transport_ = now.transport;
    if (now.transport == session::Transport::poll) {
        log::warn(kLog, "transport: polling {} ({})", poll_settings_.url, now.reason);
    } else {
        log::info(kLog, "transport: websocket again");
    }
}

// --- the background WebSocket ---

void SessionDriver::schedule_probe() {
    if (!fallback_.probes_websocket() || probing_ || probe_scheduled_) return;
    const auto delay = probe_backoff_.next(*random_);
    probe_scheduled_ = true;
    log::debug(kLog, "background WebSocket attempt in {} ms", delay.count());
    probe_timer_->schedule(delay, [this] {
        probe_scheduled_ = false;
        probe();
    });
}

void SessionDriver::probe() {
    if (!fallback_.probes_websocket() || policy_.state() == session::State::shutting_down) return;
    if (ws_connection_->state() != transport::ConnectionState::kIdle) {
        schedule_probe();  // still closing
        return;
    }
    probing_ = true;
    probe_retried_ = false;
    fetch_probe_token(false);
}

// Not the polls' token: a server may tie that one (its `jti`) to the
// polling period and refuse it on a new connection, and §2 wants a fresh
// token for every connection attempt (review 3, item 1).
void SessionDriver::fetch_probe_token(bool after_401) {
    probe_retried_ = after_401;
    const std::uint64_t generation = ++probe_generation_;
    fetch_in_turn([this, generation](auth::TokenResult result) {
        if (generation != probe_generation_) return;  // shut down or switched
        connect_probe(std::move(result));
    });
}

void SessionDriver::connect_probe(auth::TokenResult result) {
    if (!probing_ || !fallback_.probes_websocket() ||
        policy_.state() == session::State::shutting_down) {
        probing_ = false;
        return;
    }
    if (!result) {
        probing_ = false;
        log::info(kLog, "background WebSocket attempt: no token ({}): {}",
                  auth::to_string(result.error().kind), result.error().cause);
        schedule_probe();
        return;
    }
    log::debug(kLog, "background WebSocket attempt to {} (token {})", connect_settings_.url,
               log::Redacted{result->value});
    auto started = ws_connection_->connect(connect_settings_, result->value);
    if (!started) {
        probing_ = false;
        log::warn(kLog, "background WebSocket attempt: {}", started.error().message());
        schedule_probe();
    }
}

void SessionDriver::on_probe_open(std::string_view subprotocol) {
    if (!session::speaks_protocol(subprotocol)) {
        // Its close ends the attempt (on_probe_failed); polling goes on.
        log::warn(kLog, "background WebSocket: the server selected subprotocol '{}'", subprotocol);
        ws_connection_->close(session::close_protocol_error, "no common subprotocol");
        return;
    }
    log::info(kLog, "background WebSocket is up: ending the polling period");
    switching_ = true;
    probe_subprotocol_ = std::string(subprotocol);
    // The poll in flight finishes and its answer is handled; then the
    // period ends (finish_switch() from its terminal event).
    switch (poll_connection_->state()) {
        case transport::ConnectionState::kIdle:
            finish_switch();
            break;
        case transport::ConnectionState::kConnecting:
            poll_connection_->abort();
            break;
        case transport::ConnectionState::kOpen:
            poll_connection_->close(session::close_normal, "websocket back");
            cap_switch_wait();
            break;
        case transport::ConnectionState::kClosing:
            cap_switch_wait();  // its terminal event is on its way
            break;
    }
}

void SessionDriver::cap_switch_wait() {
    switch_timer_->schedule(kSwitchWait, [this] {
        if (!switching_ || poll_connection_->state() == transport::ConnectionState::kIdle) return;
        log::warn(kLog,
                  "the poll in flight did not finish within {} ms: aborting it for the "
                  "WebSocket (what it carried goes again)",
                  kSwitchWait.count());
        poll_connection_->abort();
    });
}

void SessionDriver::on_probe_failed(std::optional<int> http_status, std::string cause) {
    const bool was_switching = std::exchange(switching_, false);
    switch_timer_->cancel();
    if (was_switching) {
        log::warn(kLog, "background WebSocket lost before the switch ({}): polling goes on", cause);
    } else {
        log::info(kLog, "background WebSocket attempt failed: {}", cause);
    }
    static_cast<void>(fallback_.on_upgrade_failed(http_status));  // counted; polling already
    // §1: a 401 gets a fresh token and one retry at once, here as for the
    // session's own attempts (review 3, item 9).
    if (!was_switching && http_status == 401 && !probe_retried_ &&
        policy_.state() != session::State::shutting_down) {
        log::info(kLog, "background WebSocket answered 401: a fresh token, once more at once");
        fetch_probe_token(true);
        return;
    }
    probing_ = false;
    schedule_probe();
}

// The polling period is over: the session goes on over the WebSocket that
// came up, hello first as always.
void SessionDriver::finish_switch() {
    switching_ = false;
    switch_timer_->cancel();
    probing_ = false;
    probe_timer_->cancel();
    probe_scheduled_ = false;
    ++probe_generation_;
    connection_ = ws_connection_.get();
    if (ws_connection_->state() != transport::ConnectionState::kOpen ||
        !policy_.on_transport_switch("background WebSocket up")) {
        return;
    }
    probe_backoff_.reset();
    attempt_timer_->cancel();
    // A token still on its way for a polling attempt must not start one now.
    ++fetch_generation_;
    log_transition();
    on_open(probe_subprotocol_);
}

// --- the outbox's proof of delivery over polls ---

void SessionDriver::on_delivered(std::uint64_t through) {
    policy_.on_inbound_message();  // a 200 is a sign of life
    while (!delivery_probes_.empty() && delivery_probes_.front().first <= through) {
        std::string id = std::move(delivery_probes_.front().second);
        delivery_probes_.pop_front();
        if (hooks_.on_pong) hooks_.on_pong(id);
    }
}

void SessionDriver::count_sent() {
    ++sent_in_period_;
}

}  // namespace outpost::runtime
