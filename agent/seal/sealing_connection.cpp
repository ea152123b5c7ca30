#include "agent/seal/sealing_connection.hpp"

#include <fmt/format.h>

#include "agent/log/log.hpp"

namespace outpost::seal {
namespace {

constexpr std::string_view kLog = "seal";
constexpr std::string_view kPrefix = "seal: ";
constexpr int kClosePolicyViolation = 1008;
// A close reason is at most 123 bytes (RFC 6455 §5.5).
constexpr std::size_t kMaxCloseReason = 123;
// How much of an unsealed `error` the log shows.
constexpr std::size_t kErrorShown = 512;
// Our encoder writes `type` first; the one message that may leave unsealed.
constexpr std::string_view kHelloPrefix = R"({"type":"hello")";

}  // namespace

SealingConnection::SealingConnection(Expected<KeyPair> agent, const PublicKey& server,
                                     transport::ConnectionEvents events,
                                     const MakeInner& make_inner)
    : agent_(std::move(agent)),
      server_(server),
      events_(std::move(events)),
      inner_(make_inner(inner_events())) {}

SealingConnection::~SealingConnection() = default;

// The inner transport's events: messages are opened here, terminal events
// end the channel first; the rest pass through unchanged.
transport::ConnectionEvents SealingConnection::inner_events() {
    auto ended = [this](auto& handler) {
        return [this, &handler](auto&&... args) {
            end_channel();
            if (handler) handler(std::forward<decltype(args)>(args)...);
        };
    };
    return transport::ConnectionEvents{
        .on_open =
            [this](std::string_view subprotocol) {
                if (events_.on_open) events_.on_open(subprotocol);
            },
        .on_message = [this](std::string_view text) { on_message(text); },
        .on_too_large =
            [this](size_t size) {
                // The size limit applies to the outer message (§8); what it
                // held is unknown, so it is no refusal of the channel.
                if (!broken_ && events_.on_too_large) events_.on_too_large(size);
            },
        .on_invalid =
            [this](std::string what) {
                // A binary frame is not a sealed message either.
                if (broken_) return;
                refuse(SealError{Refusal::unsealed,
                                 "seal: unsealed frame from the server (" + std::move(what) + ")"});
            },
        .on_refused = ended(events_.on_refused),
        .on_failure = ended(events_.on_failure),
        .on_foreign_subprotocol = ended(events_.on_foreign_subprotocol),
        .on_closed = ended(events_.on_closed),
        .on_seal_failure = events_.on_seal_failure,
        // Polling (§7): counts of messages handed to send(), one for one.
        .on_delivered = events_.on_delivered,
    };
}

Expected<void> SealingConnection::connect(const transport::ConnectSettings& settings,
                                          std::string bearer_token) {
    // A connection still in use keeps its channel; the inner one refuses.
    if (inner_->state() != State::kIdle) return inner_->connect(settings, std::move(bearer_token));
    if (!agent_) return std::unexpected(agent_.error().context("seal: the agent's X25519 key"));
    auto channel = SealChannel::create(*agent_, server_);
    if (!channel) return std::unexpected(channel.error().context("seal"));
    channel_.emplace(std::move(*channel));
    hello_sent_ = false;
    broken_ = false;
    auto started = inner_->connect(settings, std::move(bearer_token));
    if (!started) end_channel();
    return started;
}

Expected<void> SealingConnection::send(std::string message) {
    if (!channel_ || broken_) {
        return std::unexpected(Error(ErrorKind::unavailable, "seal: no sealed channel open"));
    }
    if (!hello_sent_) {
        // §8: hello itself is not sealed, and nothing else may go unsealed.
        if (!message.starts_with(kHelloPrefix)) {
            return std::unexpected(Error("seal: the first message of a connection must be hello"));
        }
        hello_sent_ = true;
        return inner_->send(std::move(message));
    }
    auto sealed = channel_->seal(message);
    if (!sealed) return std::unexpected(sealed.error());
    return inner_->send(std::move(*sealed));
}

void SealingConnection::close(int code, std::string reason) {
    inner_->close(code, std::move(reason));
}

void SealingConnection::abort() {
    inner_->abort();
}

std::optional<transport::HelloSeal> SealingConnection::hello_seal() const {
    if (!channel_) return std::nullopt;
    return transport::HelloSeal{1, channel_->hello_epk()};
}

void SealingConnection::on_message(std::string_view text) {
    if (broken_ || !channel_) return;  // nothing is handled after a refusal
    auto opened = channel_->open(text);
    if (!opened) return refuse(opened.error());
    if (opened->unsealed_error) {
        log::warn(kLog, "unsealed error from the server (only logged, protocol.md §8): {}",
                  std::string_view(opened->text).substr(0, kErrorShown));
        return;
    }
    if (events_.on_message) events_.on_message(opened->text);
}

void SealingConnection::refuse(const SealError& error) {
    broken_ = true;
    // error.what starts with "seal: ", the name this log line has already.
    std::string_view what = error.what;
    if (what.starts_with(kPrefix)) what.remove_prefix(kPrefix.size());
    log::warn(kLog, "{}; closing with 1008", what);
    if (events_.on_seal_failure) {
        events_.on_seal_failure(std::string(to_string(error.refusal)), error.what);
    }
    // The driver's policy closes at once; should nobody have, close here:
    // a broken channel never stays open.
    if (inner_->state() == State::kOpen) {
        inner_->close(kClosePolicyViolation, error.what.substr(0, kMaxCloseReason));
    }
}

void SealingConnection::end_channel() {
    channel_.reset();
}

}  // namespace outpost::seal
