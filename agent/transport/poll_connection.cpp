#include "agent/transport/poll_connection.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

#include "agent/transport/poll_body.hpp"
#include "agent/transport/retry_after.hpp"

namespace outpost::transport {
namespace {

constexpr std::string_view kProtocol = "outpost.v1";
// A message queued between polls waits this long for company, so a burst
// (an ack and its result, a flush of the outbox) travels in one body.
constexpr std::chrono::milliseconds kCoalesce{50};
// Until the period's first server message (the welcome, §3.1), empty answers
// are followed sooner than poll_interval: a server that builds the session
// asynchronously answers hello with an empty 200 and puts welcome in the
// next answer, which must come well within the 10 s welcome deadline.
constexpr std::chrono::milliseconds kAwaitingWelcomeInterval{1000};
// Polls whose only reason is queued `log_line`s (a followed stream) come at
// most this often: each poll is a new TLS connection with a blocking DNS
// lookup (docs/transport.md "Polling"), so a busy source must not make one
// every 50 ms. A sealed log_line cannot be told apart and is not held back.
constexpr std::chrono::milliseconds kLogLineFloor{1000};

bool is_log_line(std::string_view message) {
    // The encoder writes `type` first (protocol/outbound_encoder.cpp).
    return message.starts_with(R"({"type":"log_line")");
}

void wipe(std::string& secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

}  // namespace

PollConnection::PollConnection(EventLoop& loop, ConnectionEvents events)
    : loop_(loop), events_(std::move(events)), poll_timer_(loop), deferred_(loop) {}

PollConnection::~PollConnection() {
    wipe(token_);
}

Expected<void> PollConnection::connect(const ConnectSettings& settings, std::string bearer_token) {
    if (state_ != State::kIdle) {
        wipe(bearer_token);
        return fail("a polling period is already running");
    }
    if (bearer_token.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        wipe(bearer_token);
        return fail("the token holds a line break");
    }
    settings_ = settings;
    auto post = std::make_unique<HttpsPost>(loop_, settings_.tls, settings_.proxy,
                                            settings_.max_message_bytes);
    token_ = std::move(bearer_token);
    post_ = std::move(post);
    retired_.reset();
    queue_.clear();
    queued_bytes_ = 0;
    queued_log_lines_ = 0;
    in_flight_ = 0;
    polling_ = false;
    heard_ = false;
    last_poll_at_.reset();
    delivered_ = 0;
    next_poll_at_.reset();
    closing_.reset();
    const std::uint64_t generation = ++generation_;
    state_ = State::kConnecting;
    // No handshake: the period is open at once, and its first message
    // (hello, sent from on_open) is the first poll's only one.
    deferred_.schedule(std::chrono::microseconds(0), [this, generation] {
        if (generation != generation_ || state_ != State::kConnecting) return;
        state_ = State::kOpen;
        if (events_.on_open) events_.on_open(kProtocol);
    });
    return {};
}

Expected<void> PollConnection::send(std::string message) {
    if (state_ != State::kOpen || closing_) return fail("no polling period open");
    const std::size_t limit = poll_message_limit(settings_.max_message_bytes, kProtocol);
    if (message.size() > limit) {
        return fail(fmt::format("message of {} bytes does not fit in a poll body (at most {})",
                                message.size(), limit));
    }
    queued_bytes_ += message.size();
    if (is_log_line(message)) ++queued_log_lines_;
    queue_.push_back(std::move(message));
    if (!polling_) {
        const auto delay = send_delay();
        const auto soon = std::chrono::steady_clock::now() + delay;
        if (!next_poll_at_ || *next_poll_at_ > soon) schedule_poll(delay);
    }
    return {};
}

bool PollConnection::fully_written() const {
    return queue_.empty() && !polling_;
}

void PollConnection::update_token(std::string bearer_token) {
    if (bearer_token.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
        state_ == State::kIdle) {
        wipe(bearer_token);
        return;
    }
    wipe(token_);
    token_ = std::move(bearer_token);
}

std::chrono::milliseconds PollConnection::send_delay() const {
    if (queued_log_lines_ < queue_.size() || !last_poll_at_) return kCoalesce;
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - *last_poll_at_);
    return std::max(kCoalesce, kLogLineFloor - since);
}

void PollConnection::schedule_poll(std::chrono::milliseconds delay) {
    next_poll_at_ = std::chrono::steady_clock::now() + delay;
    poll_timer_.schedule(delay, [this] { poll(); });
}

std::vector<std::pair<std::string, std::string>> PollConnection::request_headers() const {
    return {{"Authorization", "Bearer " + token_},
            {"X-Agent-Id", settings_.node_id},
            {"User-Agent", settings_.user_agent}};
}

void PollConnection::poll() {
    next_poll_at_.reset();
    if (state_ != State::kOpen || polling_) return;
    last_poll_at_ = std::chrono::steady_clock::now();
    auto body = encode_poll_request(kProtocol, queue_, settings_.max_message_bytes);
    const auto timeout = poll_exchange_timeout(
        std::chrono::duration_cast<std::chrono::milliseconds>(settings_.connect_timeout),
        body.text.size());
    PostRequest request{settings_.url, std::move(body.text), request_headers(), timeout};
    const std::uint64_t generation = generation_;
    auto started =
        post_->post(std::move(request), [this, generation](Expected<HttpResponse> response) {
            if (generation != generation_) return;
            on_answer(std::move(response));
        });
    if (!started) {
        end_later([this, cause = started.error().message()] {
            if (events_.on_closed) events_.on_closed(std::nullopt, "cannot poll: " + cause);
        });
        return;
    }
    polling_ = true;
    in_flight_ = body.messages;
}

void PollConnection::on_answer(Expected<HttpResponse> response) {
    polling_ = false;
    const std::size_t carried = std::exchange(in_flight_, 0);
    if (!response) {
        // Named for a server's author: §7 bounds the answer too (our reading,
        // docs/protocol-notes.md), and only the server can split its queue.
        const std::string cause =
            post_->response_too_large()
                ? fmt::format(
                      "poll failed: the server's answer exceeds "
                      "protocol.max_message_bytes ({} bytes); a server must split its "
                      "queue across polls",
                      settings_.max_message_bytes)
                : "poll failed: " + response.error().message();
        end_period();
        if (events_.on_closed) events_.on_closed(std::nullopt, cause);
        return;
    }
    PollAnswer answer = read_poll_answer(response->status, response->body, response->content_type);
    switch (answer.outcome) {
        case PollOutcome::delivered: {
            const bool carried_messages = !answer.messages.empty();
            heard_ = heard_ || carried_messages;
            if (!deliver(carried, std::move(answer.messages))) return;
            after_answer(carried_messages);
            return;
        }
        case PollOutcome::refused: {
            std::optional<int> retry_after;
            if (response->retry_after) {
                retry_after = parse_retry_after_header(*response->retry_after);
            }
            end_period();
            if (events_.on_refused) events_.on_refused(answer.status, retry_after);
            return;
        }
        case PollOutcome::ended:
            end_period();
            if (events_.on_closed) events_.on_closed(std::nullopt, std::move(answer.why));
            return;
    }
}

bool PollConnection::deliver(std::size_t carried, std::vector<std::string> messages) {
    const std::uint64_t generation = generation_;
    for (std::size_t i = 0; i < carried && !queue_.empty(); ++i) {
        queued_bytes_ -= queue_.front().size();
        if (is_log_line(queue_.front())) --queued_log_lines_;
        queue_.pop_front();
    }
    delivered_ += carried;
    if (carried > 0 && events_.on_delivered) events_.on_delivered(delivered_);
    for (const std::string& text : messages) {
        // A handler may close or abort: nothing more from this period then
        // (but the answer to a poll in flight at close() is still handled).
        if (generation != generation_) return false;
        if (events_.on_message) events_.on_message(text);
    }
    return generation == generation_;
}

void PollConnection::after_answer(bool carried_messages) {
    if (closing_) {
        auto [code, reason] = std::move(*closing_);
        end_period();
        if (events_.on_closed) events_.on_closed(code, std::move(reason));
        return;
    }
    // More to say (the body left messages behind) or more to hear: at once.
    const bool left_behind =
        encode_poll_request(kProtocol, queue_, settings_.max_message_bytes).messages <
        queue_.size();
    if (carried_messages) {
        schedule_poll(std::chrono::milliseconds(0));  // more to hear
    } else if (left_behind) {
        schedule_poll(queued_log_lines_ == queue_.size() ? send_delay()
                                                         : std::chrono::milliseconds(0));
    } else if (!queue_.empty()) {
        schedule_poll(send_delay());
    } else if (!heard_) {
        schedule_poll(std::min(settings_.poll_interval, kAwaitingWelcomeInterval));
    } else {
        schedule_poll(settings_.poll_interval);
    }
}

void PollConnection::close(int code, std::string reason) {
    if (state_ == State::kIdle) return;
    if (state_ == State::kConnecting) return abort();
    if (closing_) return;
    closing_ = std::make_pair(code, std::move(reason));
    state_ = State::kClosing;
    poll_timer_.cancel();
    next_poll_at_.reset();
    if (polling_) return;  // the poll in flight finishes; its answer is still handled
    end_later([this, code, reason = closing_->second] {
        if (events_.on_closed) events_.on_closed(code, reason);
    });
}

void PollConnection::abort() {
    if (state_ == State::kIdle) return;
    const bool was_connecting = state_ == State::kConnecting;
    end_later([this, was_connecting] {
        if (was_connecting) {
            if (events_.on_failure) events_.on_failure("aborted");
        } else if (events_.on_closed) {
            events_.on_closed(std::nullopt, "aborted");
        }
    });
}

void PollConnection::end_period() {
    ++generation_;
    state_ = State::kIdle;
    poll_timer_.cancel();
    next_poll_at_.reset();
    closing_.reset();
    wipe(token_);
    queue_.clear();
    queued_bytes_ = 0;
    queued_log_lines_ = 0;
    in_flight_ = 0;
    // Cancelling a request from inside its own callback is not allowed:
    // the HttpsPost is freed on the next pass.
    if (polling_) retired_ = std::move(post_);
    polling_ = false;
}

void PollConnection::end_later(std::function<void()> terminal) {
    end_period();
    state_ = State::kClosing;  // until the terminal event is out
    const std::uint64_t generation = generation_;
    deferred_.schedule(std::chrono::microseconds(0),
                       [this, generation, terminal = std::move(terminal)] {
                           if (generation != generation_) return;
                           retired_.reset();
                           state_ = State::kIdle;
                           terminal();
                       });
}

}  // namespace outpost::transport
