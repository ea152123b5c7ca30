// SessionPolicy: connection events and the delays they lead to. Timers,
// bookkeeping and the snapshot are in policy_live.cpp.
#include <algorithm>
#include <string>
#include <utility>

#include "agent/session/policy.hpp"

#include "agent/session/fallback.hpp"

namespace outpost::session {

using std::chrono::milliseconds;

namespace {

std::string with_reason(std::string what, std::string_view reason) {
    if (!reason.empty()) {
        what += ": ";
        what += reason;
    }
    return what;
}

}  // namespace

bool speaks_protocol(std::string_view protocol) {
    return std::find(offered_protocols.begin(), offered_protocols.end(), protocol) !=
           offered_protocols.end();
}

std::string_view to_string(TokenFailure failure) {
    switch (failure) {
        case TokenFailure::unauthorized:
            return "unauthorized";
        case TokenFailure::forbidden:
            return "forbidden";
        case TokenFailure::server_error:
            return "server_error";
        case TokenFailure::timeout:
            return "timeout";
        case TokenFailure::connection_failed:
            return "connection_failed";
        case TokenFailure::malformed:
            return "malformed";
    }
    return "unknown";
}

std::string_view to_string(Action action) {
    switch (action) {
        case Action::none:
            return "none";
        case Action::connect_now:
            return "connect_now";
        case Action::wait_then_connect:
            return "wait_then_connect";
        case Action::close_then_wait:
            return "close_then_wait";
        case Action::drop_then_wait:
            return "drop_then_wait";
        case Action::stop:
            return "stop";
    }
    return "unknown";
}

SessionPolicy::SessionPolicy(const ReconnectSettings& settings, TokenMode mode, const Clock& clock,
                             Random& random)
    : settings_(settings),
      mode_(mode),
      clock_(clock),
      random_(random),
      backoff_(settings.initial, settings.max),
      reauth_backoff_(settings.initial, settings.max) {
    transition(State::connecting, "start");
}

void SessionPolicy::remember_spread(std::optional<std::chrono::seconds> spread) {
    if (spread) spread = std::clamp(*spread, std::chrono::seconds{0}, max_reconnect_spread);
    spread_ = spread;
}

Decision SessionPolicy::on_start(bool host_rebooted) {
    if (state_ != State::connecting || attempts_started_ > 0) return ignored("start");
    // A crash, an upgrade or a first run connect at once: only a fleet-wide
    // event (power back everywhere) makes many hosts start together.
    if (!host_rebooted) return Decision{.action = Action::connect_now, .reason = "start"};
    return wait(State::backoff, Action::wait_then_connect, jitter(random_, spread_window()),
                std::nullopt, false, "host rebooted since the last session: boot splay");
}

AttemptPlan SessionPolicy::on_connect_attempt() {
    if (state_ == State::shutting_down) return AttemptPlan{.proceed = false, .fetch_token = false};
    if (attempts_started_++ > 0) ++snapshot_.reconnects;
    next_attempt_at_.reset();
    transition(State::connecting, "attempt " + std::to_string(attempts_started_));
    return AttemptPlan{
        .proceed = true,
        .fetch_token = needs_fresh_token(mode_, token_, token_rejected_, clock_.wall_now())};
}

void SessionPolicy::on_token_obtained(std::optional<TokenLifetime> lifetime) {
    token_ = lifetime;
    token_rejected_ = false;
    reauth_in_flight_ = false;
    reauth_retry_at_.reset();
    reauth_backoff_.reset();
    if (lifetime) {
        snapshot_.token_expiry = lifetime->expires_at;
    } else {
        snapshot_.token_expiry.reset();
    }
}

Decision SessionPolicy::on_token_failure(TokenFailure failure, std::string_view cause) {
    if (state_ == State::shutting_down) return ignored("token failure");
    count_auth_failure("token_" + std::string(to_string(failure)));
    record_error("token_" + std::string(to_string(failure)),
                 "token endpoint: " + std::string(to_string(failure)), std::string(cause));
    if (state_ == State::online) {
        // A failed reauth leaves the live connection alone: the server closes
        // with 4001 when the old token runs out.
        reauth_in_flight_ = false;
        if (failure == TokenFailure::unauthorized || failure == TokenFailure::forbidden) {
            // The endpoint refused this identity (§2: 401 unauthorized, 403
            // revoked): asking again changes nothing. No reauth on this
            // connection; the next connection attempt meets the refusal and
            // takes its state.
            reauth_refused_ = true;
            return Decision{.reason = "reauth refused by the token endpoint (" +
                                      std::string(to_string(failure)) +
                                      "); no retry on this connection"};
        }
        // Transient (5xx, timeout, malformed): try again after a backoff.
        reauth_retry_at_ = clock_.now() + reauth_backoff_.next(random_);
        return Decision{.reason = "reauth token failed; retrying later"};
    }
    if (state_ != State::connecting) return ignored("token failure");
    const std::string reason = "token endpoint: " + std::string(to_string(failure));
    switch (failure) {
        case TokenFailure::unauthorized:
            // §2: identity rejected → `unauthorized`, long backoff. We reuse
            // revoked_interval as "long"; the protocol names no value.
            backoff_.record_failure();
            token_rejected_ = true;
            return wait(State::unauthorized, Action::wait_then_connect, settings_.revoked_interval,
                        std::nullopt, true, reason);
        case TokenFailure::forbidden:
            return end_attempt(Reaction::revoked, std::nullopt, Action::wait_then_connect,
                               std::nullopt, reason);
        case TokenFailure::server_error:
        case TokenFailure::timeout:
        case TokenFailure::connection_failed:
        case TokenFailure::malformed:
            return end_attempt(Reaction::backoff, std::nullopt, Action::wait_then_connect,
                               std::nullopt, reason);
    }
    return ignored("token failure");
}

Decision SessionPolicy::on_transport_failure(std::string_view cause) {
    if (!has_connection(state_)) return ignored("transport failure");
    record_error("connection_failed", "connection failed", std::string(cause));
    return end_attempt(Reaction::backoff, std::nullopt, Action::wait_then_connect, std::nullopt,
                       with_reason("connection failed", cause));
}

Decision SessionPolicy::on_upgrade_refused(int http_status,
                                           std::optional<std::chrono::seconds> retry_after) {
    if (!has_connection(state_)) return ignored("upgrade refused");
    const std::string what = "upgrade refused: HTTP " + std::to_string(http_status);
    record_error(
        "http_" + std::to_string(http_status), what,
        retry_after ? "Retry-After " + std::to_string(retry_after->count()) + " s" : std::string());
    Reaction reaction = reaction_to_upgrade_status(http_status);
    // §7: with poll_url set, a status no outpost server sends a healthy
    // agent is a failed upgrade (an intermediary), not a version answer. A
    // poll answered 426 stays one.
    if (settings_.poll_fallback && !polling_ && intermediary_status(http_status)) {
        reaction = Reaction::backoff;
    }
    if (reaction == Reaction::refresh_once || reaction == Reaction::revoked) {
        count_auth_failure("http_" + std::to_string(http_status));
    }
    std::optional<milliseconds> hint;
    if (retry_after) hint = std::chrono::duration_cast<milliseconds>(*retry_after);
    return end_attempt(reaction, hint, Action::wait_then_connect, std::nullopt, what);
}

Decision SessionPolicy::on_foreign_subprotocol(std::string_view selected) {
    if (!has_connection(state_)) return ignored("foreign subprotocol");
    const std::string cause = selected.empty() ? std::string("server selected one not offered")
                                               : "server selected " + std::string(selected);
    record_error("no_subprotocol", "no common subprotocol", cause);
    return end_attempt(Reaction::incompatible, std::nullopt, Action::wait_then_connect,
                       std::nullopt, "no common subprotocol (" + cause + ")");
}

bool SessionPolicy::on_transport_switch(std::string_view reason) {
    if (state_ == State::shutting_down) return false;
    leave_connection();
    next_attempt_at_.reset();
    polling_ = false;
    // The attempt that came up is this one; the backoff starts over from it.
    ++attempts_started_;
    transition(State::connecting, std::string(reason));
    return true;
}

Decision SessionPolicy::on_established(std::optional<std::string_view> subprotocol) {
    if (state_ != State::connecting) return ignored("established");
    if (!subprotocol || !speaks_protocol(*subprotocol)) {
        const std::string cause =
            subprotocol ? "server selected " + std::string(*subprotocol) : "server selected none";
        record_error("no_subprotocol", "no common subprotocol", cause);
        return end_attempt(Reaction::incompatible, std::nullopt, Action::close_then_wait,
                           close_protocol_error, "no common subprotocol (" + cause + ")");
    }
    welcome_deadline_ = clock_.now() + settings_.welcome_timeout;
    transition(State::awaiting_welcome, "upgraded (" + std::string(*subprotocol) + ")");
    return Decision{.reason = "send hello, await welcome"};
}

Decision SessionPolicy::on_welcome(const Welcome& welcome) {
    if (state_ != State::awaiting_welcome && state_ != State::online) return ignored("welcome");
    const auto now = clock_.now();
    heartbeat_.on_inbound(now);
    if (!speaks_protocol(welcome.protocol)) {
        const std::string cause = "welcome protocol " + std::string(welcome.protocol);
        record_error("protocol_mismatch", "protocol version mismatch", cause);
        return end_attempt(Reaction::incompatible, std::nullopt, Action::close_then_wait,
                           close_protocol_error, "protocol version mismatch (" + cause + ")");
    }
    const auto interval = Heartbeat::interval_from(welcome.heartbeat_s);
    if (welcome.reconnect_spread_s) {
        remember_spread(std::chrono::seconds{*welcome.reconnect_spread_s});
    }
    snapshot_.session_id = std::string(welcome.session_id);
    if (state_ == State::online) {  // the answer to a reauth (§2.1)
        heartbeat_.set_interval(interval);
        return Decision{.reason = "reauth accepted"};
    }
    welcome_deadline_.reset();
    online_since_ = now;
    stable_reset_done_ = false;
    retried_401_ = false;
    // §7: while polling each poll is the heartbeat; no pings, no dead-peer check.
    if (polling_) {
        heartbeat_.stop();
    } else {
        heartbeat_.start(now, interval);
    }
    transition(State::online, "welcome, session " + std::string(welcome.session_id));
    return Decision{.reason = "online"};
}

Decision SessionPolicy::on_reconnect_request(std::optional<std::int64_t> after_ms,
                                             std::string_view reason) {
    if (!has_connection(state_)) return ignored("reconnect request");
    std::optional<milliseconds> hint;
    if (after_ms) hint = milliseconds{*after_ms};
    return end_attempt(Reaction::reconnect_requested, hint, Action::close_then_wait, close_normal,
                       with_reason("server requested reconnect", reason));
}

Decision SessionPolicy::on_peer_close(int code, std::string_view reason,
                                      std::optional<std::int64_t> after_ms) {
    if (!has_connection(state_)) return ignored("peer close");
    snapshot_.last_close_code = code;
    const Reaction reaction = reaction_to_close(code);
    const std::string what = "closed by server: " + std::to_string(code);
    record_error("close_" + std::to_string(code), what, std::string(reason));
    if (reaction == Reaction::refresh_now || reaction == Reaction::revoked) {
        count_auth_failure("close_" + std::to_string(code));
    }
    std::optional<milliseconds> hint;
    if (after_ms && reaction == Reaction::reconnect_requested) hint = milliseconds{*after_ms};
    return end_attempt(reaction, hint, Action::wait_then_connect, std::nullopt,
                       with_reason(what, reason));
}

Decision SessionPolicy::on_seal_failure(std::string_view counter, std::string_view what) {
    if (!has_connection(state_)) return ignored("seal failure");
    ++snapshot_.seal_failures[std::string(counter)];
    record_error("seal_" + std::string(counter), std::string(what), "");
    return end_attempt(Reaction::backoff, std::nullopt, Action::close_then_wait,
                       close_policy_violation, std::string(what));
}

Decision SessionPolicy::on_connection_lost(std::string_view cause) {
    if (!has_connection(state_)) return ignored("connection lost");
    record_error("connection_lost", "connection lost", std::string(cause));
    return end_attempt(Reaction::backoff, std::nullopt, Action::wait_then_connect, std::nullopt,
                       with_reason("connection lost", cause));
}

Decision SessionPolicy::shutdown(std::string_view reason) {
    leave_connection();
    next_attempt_at_.reset();
    if (state_ != State::shutting_down) {
        transition(State::shutting_down, with_reason("shutdown", reason));
    }
    return Decision{.action = Action::stop,
                    .close_code = close_going_away,
                    .reason = with_reason("shutdown", reason)};
}

// Ends the current attempt or connection and turns `reaction` into a wait.
Decision SessionPolicy::end_attempt(Reaction reaction, std::optional<milliseconds> hint,
                                    Action action, std::optional<int> close_code,
                                    std::string reason) {
    leave_connection();
    const Outcome outcome = outcome_of(reaction, hint);
    if (outcome.refresh_token) token_rejected_ = true;
    return wait(outcome.state, action, outcome.delay, close_code, outcome.refresh_token,
                std::move(reason));
}

SessionPolicy::Outcome SessionPolicy::outcome_of(Reaction reaction,
                                                 std::optional<milliseconds> hint) {
    const auto now = clock_.now();
    switch (reaction) {
        case Reaction::backoff:
            return {State::backoff, backoff_.next(random_), false};
        case Reaction::backoff_honour_retry: {
            backoff_.record_failure();
            if (!hint) return {State::backoff, backoff_.draw(random_), false};
            // §5: R plus a draw in [0, min(R, max)], so a fleet told the same
            // R does not return in the same instant.
            const milliseconds retry =
                std::clamp(*hint, milliseconds{0}, settings_.retry_after_cap);
            return {State::backoff,
                    uniform_between(random_, retry, retry + std::min(retry, settings_.max)), false};
        }
        case Reaction::backoff_half_max:
            backoff_.record_failure();
            return {State::backoff, uniform_between(random_, settings_.max / 2, settings_.max),
                    false};
        case Reaction::backoff_rate_limited:
            backoff_.record_failure();
            return {State::backoff,
                    uniform_between(random_, settings_.rate_limited_min,
                                    settings_.rate_limited_min + settings_.max),
                    false};
        case Reaction::spread:
            backoff_.record_failure();
            return {State::backoff, jitter(random_, spread_window()), false};
        case Reaction::reconnect_requested:
            backoff_.record_failure();
            if (!hint) return {State::backoff, jitter(random_, spread_window()), false};
            return {State::backoff, std::clamp(*hint, milliseconds{0}, settings_.max), false};
        case Reaction::refresh_once:
            backoff_.record_failure();
            if (!retried_401_) {
                retried_401_ = true;
                return {State::backoff, milliseconds{0}, true};
            }
            return {State::backoff, backoff_.draw(random_), true};
        case Reaction::refresh_now: {
            // At most one reconnect per min_4001_interval: the next allowed
            // moment is measured from the previous 4001 reconnect itself.
            backoff_.record_failure();
            milliseconds delay{0};
            if (last_4001_reconnect_ && now < *last_4001_reconnect_ + settings_.min_4001_interval) {
                delay = std::chrono::ceil<milliseconds>(*last_4001_reconnect_ +
                                                        settings_.min_4001_interval - now);
            }
            last_4001_reconnect_ = now + delay;
            return {State::backoff, delay, true};
        }
        case Reaction::revoked:
            backoff_.record_failure();
            return {State::revoked, settings_.revoked_interval, true};
        case Reaction::incompatible:
            backoff_.record_failure();
            return {State::incompatible, settings_.incompatible_interval, false};
    }
    return {State::backoff, backoff_.next(random_), false};
}

Decision SessionPolicy::wait(State to, Action action, milliseconds delay,
                             std::optional<int> close_code, bool refresh_token,
                             std::string reason) {
    if (action == Action::wait_then_connect && delay.count() == 0) action = Action::connect_now;
    next_attempt_at_ = clock_.now() + delay;
    transition(to, reason);
    return Decision{.action = action,
                    .delay = delay,
                    .close_code = close_code,
                    .refresh_token = refresh_token,
                    .reason = std::move(reason)};
}

milliseconds SessionPolicy::spread_window() const {
    if (spread_) return std::chrono::duration_cast<milliseconds>(*spread_);
    return settings_.initial;
}

Decision SessionPolicy::ignored(std::string_view event) const {
    return Decision{.reason = "ignored " + std::string(event) + " in state " +
                              std::string(to_string(state_))};
}

}  // namespace outpost::session
