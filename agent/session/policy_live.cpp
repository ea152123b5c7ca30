// SessionPolicy: timers (welcome timeout, heartbeat, reauth, stability) and
// the bookkeeping behind `outpost status`.
#include <algorithm>
#include <string>
#include <utility>

#include "agent/session/policy.hpp"

namespace outpost::session {

void SessionPolicy::on_inbound_message() {
    if (state_ == State::online || state_ == State::awaiting_welcome) {
        heartbeat_.on_inbound(clock_.now());
    }
}

void SessionPolicy::on_send_queue(bool above_mark) {
    if (!above_mark) {
        above_mark_since_.reset();
    } else if (!above_mark_since_ && has_connection(state_)) {
        above_mark_since_ = clock_.now();
    }
}

// 3 x heartbeat after the queue went above the mark, measured with the
// same interval as the dead-peer check, so a server's heartbeat_s sets both.
std::optional<SessionPolicy::time_point> SessionPolicy::write_stall_deadline() const {
    if (!above_mark_since_ || state_ != State::online) return std::nullopt;
    return *above_mark_since_ + Heartbeat::dead_after_intervals * heartbeat_.interval();
}

TickResult SessionPolicy::on_tick() {
    TickResult result;
    const auto now = clock_.now();
    if (state_ == State::awaiting_welcome && welcome_deadline_ && now >= *welcome_deadline_) {
        record_error("no_welcome", "no welcome in time", "");
        result.decision = end_attempt(Reaction::backoff, std::nullopt, Action::close_then_wait,
                                      close_protocol_error, "no welcome in time");
        return result;
    }
    if (state_ != State::online) return result;
    reset_if_stable(now);
    if (heartbeat_.peer_dead(now)) {
        record_error("peer_dead", "peer dead", "nothing received for 3 x heartbeat");
        result.decision =
            end_attempt(Reaction::backoff, std::nullopt, Action::drop_then_wait, std::nullopt,
                        "peer dead: nothing received for 3 x heartbeat");
        return result;
    }
    if (const auto stalled = write_stall_deadline(); stalled && now >= *stalled) {
        record_error("write_stalled", "write stalled",
                     "send queue above the high-water mark for 3 x heartbeat");
        result.decision =
            end_attempt(Reaction::backoff, std::nullopt, Action::drop_then_wait, std::nullopt,
                        "write stalled: send queue above the high-water mark for 3 x heartbeat");
        return result;
    }
    if (heartbeat_.ping_due(now)) {
        heartbeat_.on_ping_sent(now);
        result.send_ping = true;
    }
    // reauth_at() reads the clock itself and says "due" as its own, later
    // now: compare with a fresh reading, or a due reauth never goes out and
    // the tick re-fires every few ms.
    if (const auto at = reauth_at(); at && clock_.now() >= *at) {
        reauth_in_flight_ = true;
        result.send_reauth = true;
    }
    return result;
}

void SessionPolicy::count_invalid_payload(std::string_view code) {
    ++snapshot_.invalid_payloads[std::string(code)];
}

SessionSnapshot SessionPolicy::snapshot() const {
    SessionSnapshot out = snapshot_;
    out.attempt = backoff_.attempt();
    const bool waiting = !has_connection(state_) && state_ != State::shutting_down;
    if (waiting && next_attempt_at_) {
        out.next_retry_in = std::max(
            std::chrono::milliseconds{0},
            std::chrono::ceil<std::chrono::milliseconds>(*next_attempt_at_ - clock_.now()));
    }
    return out;
}

std::optional<SessionPolicy::time_point> SessionPolicy::next_deadline() const {
    std::optional<time_point> earliest;
    const auto consider = [&earliest](std::optional<time_point> t) {
        if (t && (!earliest || *t < *earliest)) earliest = t;
    };
    switch (state_) {
        case State::awaiting_welcome:
            consider(welcome_deadline_);
            break;
        case State::online:
            if (heartbeat_.running()) {  // not while polling (§7)
                consider(heartbeat_.next_ping_due());
                consider(heartbeat_.dead_deadline());
            }
            consider(write_stall_deadline());
            consider(reauth_at());
            if (online_since_ && !stable_reset_done_) {
                consider(*online_since_ + settings_.stable_after);
            }
            break;
        case State::backoff:
        case State::revoked:
        case State::incompatible:
        case State::unauthorized:
            consider(next_attempt_at_);
            break;
        case State::connecting:
        case State::shutting_down:
            break;
    }
    return earliest;
}

// When the next reauth should go out, on the steady clock; none when no
// reauth is needed or one is already under way.
std::optional<SessionPolicy::time_point> SessionPolicy::reauth_at() const {
    if (state_ != State::online || reauth_in_flight_ || reauth_refused_ || !token_) {
        return std::nullopt;
    }
    if (mode_ == TokenMode::static_token) return std::nullopt;
    const auto now = clock_.now();
    const auto wall_now = clock_.wall_now();
    time_point due = now;
    if (!in_refresh_window(*token_, wall_now)) {
        // Wall and steady clocks tick alike between jumps; on_tick() re-checks.
        due += std::chrono::ceil<std::chrono::steady_clock::duration>(refresh_point(*token_) -
                                                                      wall_now);
    }
    if (reauth_retry_at_) due = std::max(due, *reauth_retry_at_);
    return due;
}

void SessionPolicy::leave_connection() {
    if (online_since_) reset_if_stable(clock_.now());
    heartbeat_.stop();
    above_mark_since_.reset();
    online_since_.reset();
    welcome_deadline_.reset();
    reauth_in_flight_ = false;
    reauth_retry_at_.reset();
    reauth_refused_ = false;
}

// §5: the attempt counter resets once a session stayed up for stable_after.
void SessionPolicy::reset_if_stable(time_point now) {
    if (!online_since_ || stable_reset_done_) return;
    if (now - *online_since_ >= settings_.stable_after) {
        backoff_.reset();
        stable_reset_done_ = true;
    }
}

void SessionPolicy::transition(State to, std::string reason) {
    if (to == state_ && !history_.empty()) return;
    state_ = to;
    const auto since = clock_.wall_now();
    snapshot_.state = to;
    snapshot_.since = since;
    ++snapshot_.transitions[std::string(to_string(to))];
    history_.push_back(Transition{to, since, std::move(reason)});
    if (history_.size() > max_history) history_.pop_front();
}

void SessionPolicy::record_error(std::string kind, std::string what, std::string cause) {
    snapshot_.last_error =
        LastError{std::move(what), std::move(cause), clock_.wall_now(), std::move(kind)};
}

void SessionPolicy::count_auth_failure(std::string_view reason) {
    ++snapshot_.auth_failures[std::string(reason)];
}

}  // namespace outpost::session
