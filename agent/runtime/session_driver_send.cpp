// The SessionDriver's sending side: what may be sent when, the send queue's
// high-water mark and its reporting, and the node status messages. The rest
// of the driver (attempts, tokens, connection events, decisions) is in
// session_driver.cpp.
#include <utility>

#include "agent/auth/uuid.hpp"
#include "agent/log/log.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "agent/runtime/connection_settings.hpp"
#include "agent/runtime/session_driver.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "session";

// Above the mark, the replies nothing else would repeat (a command_ack, an
// `error`, a `status`, the `health` answering a health_check, a stream_end)
// still go out while the queue is below the mark plus this much: a few
// hundred small replies. A config_update's or a held command's ack is its only answer, and
// a status{degraded} the server must see. Pongs, pings, results and the
// outbox never use it (results and the outbox are in the journal), so a
// server that floods pings and stops reading cannot fill it, and the queue
// stays bounded by the mark plus this reserve plus one message.
constexpr std::size_t kReplyReserveBytes = 64 * 1024;

bool uses_reply_reserve(const protocol::outbound::Body& body) {
    return std::holds_alternative<protocol::outbound::CommandAck>(body) ||
           std::holds_alternative<protocol::outbound::Error>(body) ||
           std::holds_alternative<protocol::outbound::Status>(body) ||
           std::holds_alternative<protocol::outbound::Health>(body) ||
           // The only answer to a refused or stopped stream (§3.3); small,
           // one per stream.
           std::holds_alternative<protocol::outbound::StreamEnd>(body);
}

}  // namespace

// The rest of the agent sends only while online: protocol.md §3.1 allows
// nothing but hello before welcome (a command that finishes while the agent
// reconnects keeps its result for the re-send after welcome). While a
// graceful stop drains an online session, results still go out.
bool SessionDriver::send(protocol::outbound::Body body) {
    return (online() || draining_online_) && send_now(std::move(body));
}

bool SessionDriver::send_encoded(std::string text) {
    if (!(online() || draining_online_)) return false;
    if (connection_->state() != transport::ConnectionState::kOpen) return false;
    if (backpressured()) {
        ++refused_above_mark_;
        return false;
    }
    auto queued = connection_->send(std::move(text));
    if (!queued) log::warn(kLog, "send failed: {}", queued.error().message());
    if (queued) count_sent();
    note_send_queue();
    return queued.has_value();
}

bool SessionDriver::backpressured() const {
    return connection_->state() == transport::ConnectionState::kOpen &&
           connection_->queued_bytes() >= send_queue_mark_;
}

bool SessionDriver::half_backpressured() const {
    return connection_->state() == transport::ConnectionState::kOpen &&
           connection_->queued_bytes() >= send_queue_mark_ / 2;
}

// Above the mark nothing more is queued but the replies of the small reserve
// (kReplyReserveBytes): what the peer does not read stays with us, so it is
// bounded here. Results and outbox messages are in the journal and go again
// once the queue drains or after the next welcome; pongs are dropped (a ping
// left unanswered is the honest signal to a server that stopped reading).
// The policy's write-stall check ends a connection that stays above the mark.
void SessionDriver::note_send_queue() {
    if (connection_->state() != transport::ConnectionState::kOpen) {
        // The queue went with the connection: nothing drained, nothing owed.
        above_mark_ = false;
        refused_above_mark_ = 0;
        drained_pending_ = false;
        policy_.on_send_queue(false);
        return;
    }
    const bool above = backpressured();
    policy_.on_send_queue(above);
    if (above == above_mark_) return;
    above_mark_ = above;
    if (above) {
        log::warn(kLog,
                  "send queue at {} bytes, over its high-water mark ({}): the server is "
                  "not reading; new messages wait (results and outbox stay in the journal), "
                  "pongs are dropped, acks and status use a small reserve",
                  connection_->queued_bytes(), send_queue_mark_);
        arm_tick();  // the write-stall deadline
    } else {
        const std::uint64_t refused = std::exchange(refused_above_mark_, 0);
        log::info(kLog,
                  "send queue below its high-water mark again ({} message(s) refused "
                  "meanwhile)",
                  refused);
        // Not from here: this may run inside a send of the dispatcher's.
        if (refused > 0) drained_pending_ = true;
    }
}

std::optional<std::string> SessionDriver::send_probe() {
    if (!online()) return std::nullopt;
    std::string id = auth::uuid_v4();
    if (policy_.polling()) {
        // §7: the 200 answering the poll that carries them is the proof.
        delivery_probes_.emplace_back(sent_in_period_, id);
        return id;
    }
    if (!send_now(protocol::outbound::Ping{}, id)) return std::nullopt;
    return id;
}

// status is about the live session, so it is sent, never kept: one kept
// from a disconnected stop and flushed later would tell a server that
// applies it as current state that a connected node is offline.
bool SessionDriver::post_status(protocol::outbound::NodeStatus status,
                                std::optional<std::string> reason) {
    return send_now(protocol::outbound::Status{identity_.node_id, status, std::move(reason)});
}

void SessionDriver::post_node_status() {
    auto degraded = hooks_.degraded_reason ? hooks_.degraded_reason() : std::nullopt;
    const bool is_degraded = degraded.has_value();
    const bool sent =
        is_degraded ? post_status(protocol::outbound::NodeStatus::degraded, std::move(degraded))
                    : post_status(protocol::outbound::NodeStatus::online, online_reason_);
    // Only what the server got counts as said: a status that could not be
    // queued is posted again by the next recheck_status().
    if (sent) posted_degraded_ = is_degraded;
}

void SessionDriver::recheck_status() {
    if (!online() || !hooks_.degraded_reason) return;
    // A change of state, not of wording: a reason that only counts
    // something differently is not news.
    if (hooks_.degraded_reason().has_value() == posted_degraded_) return;
    post_node_status();
}

bool SessionDriver::send_now(protocol::outbound::Body body, std::string id) {
    if (connection_->state() != transport::ConnectionState::kOpen) return false;
    if (backpressured() && !(uses_reply_reserve(body) &&
                             connection_->queued_bytes() < send_queue_mark_ + kReplyReserveBytes)) {
        ++refused_above_mark_;
        log::debug(kLog, "not sending {}: the send queue is over its high-water mark",
                   protocol::type_name(body));
        return false;
    }
    protocol::OutboundMessage message{std::move(id), protocol::now_rfc3339(), std::move(body)};
    auto text = protocol::encode_checked(message, outbound_message_limit(config_));
    if (!text) {
        log::error(kLog, "not sending {}: {}", protocol::type_name(message.body),
                   text.error().message());
        return false;
    }
    auto queued = connection_->send(std::move(*text));
    if (!queued) log::warn(kLog, "send failed: {}", queued.error().message());
    if (queued) count_sent();
    note_send_queue();
    return queued.has_value();
}

}  // namespace outpost::runtime
