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
    if (ws_connection_->state() != transport::ConnectionState::kIdle || !token_) {
        schedule_probe();  // still closing, or no token yet (the polls fetch one)
        return;
    }
    probing_ = true;
    auto started = ws_connection_->connect(connect_settings_, token_->value);
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
            break;
        case transport::ConnectionState::kClosing:
            break;  // its terminal event is on its way
    }
}

void SessionDriver::on_probe_failed(std::optional<int> http_status, std::string cause) {
    probing_ = false;
    if (std::exchange(switching_, false)) {
        log::warn(kLog, "background WebSocket lost before the switch ({}): polling goes on", cause);
    } else {
        log::info(kLog, "background WebSocket attempt failed: {}", cause);
    }
    static_cast<void>(fallback_.on_upgrade_failed(http_status));  // counted; polling already
    schedule_probe();
}

// The polling period is over: the session goes on over the WebSocket that
// came up, hello first as always.
void SessionDriver::finish_switch() {
    switching_ = false;
    probing_ = false;
    probe_timer_->cancel();
    probe_scheduled_ = false;
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
