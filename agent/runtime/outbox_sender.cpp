#include "agent/runtime/outbox_sender.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <span>

#include "agent/auth/uuid.hpp"
#include "agent/log/log.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "outbox";
// A journal error while flushing: try again this much later, not in a loop.
constexpr std::chrono::seconds kRetryAfterError{1};

std::optional<journal::OutboxKind> outbox_kind(const protocol::outbound::Body& body) {
    using namespace protocol::outbound;
    if (std::holds_alternative<Telemetry>(body)) return journal::OutboxKind::telemetry;
    if (std::holds_alternative<Alert>(body)) return journal::OutboxKind::alert;
    if (std::holds_alternative<Health>(body)) return journal::OutboxKind::health;
    if (std::holds_alternative<Status>(body)) return journal::OutboxKind::status;
    return std::nullopt;
}

std::chrono::microseconds flush_interval(std::uint64_t rate) {
    if (rate == 0) rate = 1;  // the config schema allows 1..10 000
    return std::chrono::microseconds(1'000'000 / rate);
}

}  // namespace

OutboxSender::OutboxSender(transport::EventLoop& loop, journal::Journal* journal,
                           Settings settings, Link link)
    : journal_(journal),
      settings_(settings),
      link_(std::move(link)),
      timer_(loop),
      interval_(flush_interval(settings.flush_rate)) {
    backlog_pending_ = backlog() > 0;
}

std::optional<std::uint64_t> OutboxSender::kept() {
    if (journal_ == nullptr) return std::nullopt;
    auto size = journal_->size();
    if (!size) {
        log::warn(kLog, "cannot count the outbox: {}", size.error().message());
        return std::nullopt;
    }
    return *size;
}

void OutboxSender::post(protocol::outbound::Body body) {
    const auto kind = outbox_kind(body);
    const std::string_view type = protocol::type_name(body);
    if (!kind) log::error(kLog, "{} is not an outbox message; sending it directly", type);
    // Encoded now: the id and ts are the moment the message was made, not
    // the moment a flush sends it.
    protocol::OutboundMessage message{auth::uuid_v4(), protocol::now_rfc3339(), std::move(body)};
    auto text = protocol::encode_checked(message, settings_.max_message_bytes);
    if (!text) {
        log::error(kLog, "not sending {}: {}", type, text.error().message());
        return;
    }
    const bool online = link_.online();
    if (!kind || (online && !backlog_pending_)) {
        if (link_.send(std::move(*text)) || !kind) return;
        // Not queued (the connection just went): keep it like an offline one.
    }
    if (journal_ == nullptr) {
        log::warn(kLog, "{} lost: not connected, and the journal that keeps the outbox is "
                        "unavailable", type);
        return;
    }
    auto stored = journal_->enqueue(*kind, *text, std::chrono::system_clock::now());
    if (!stored) {
        log::warn(kLog, "{} could not be kept in the outbox: {}", type, stored.error().message());
        // Better out of order than lost: while online it goes now.
        if (link_.online() && link_.send(std::move(*text))) return;
        log::warn(kLog, "{} lost", type);
        return;
    }
    if (stored->dropped_other > 0) {
        log::warn(kLog, "outbox full: dropped the {} oldest alert/health/status message(s)",
                  stored->dropped_other);
    }
    if (stored->dropped_telemetry > 0) {
        log::info(kLog, "outbox full: dropped {} telemetry sample(s)", stored->dropped_telemetry);
    }
    if (stored->id) {
        backlog_pending_ = true;
        log::info(kLog, "{} kept in the outbox until the next session", type);
    }
    // Online with a backlog: a flush is under way, or starts here when the
    // last one stopped on an error.
    if (online && !flushing_) start_flush();
}

void OutboxSender::start_flush() {
    // A message handed to the previous connection may not have arrived: it
    // stays in the outbox and goes again (at least once).
    in_flight_.reset();
    flushed_ = 0;
    if (journal_ == nullptr) return;
    flushing_ = true;
    schedule(std::chrono::microseconds(0));
}

void OutboxSender::schedule(std::chrono::microseconds delay) {
    timer_.schedule(delay, [this] { tick(); });
}

void OutboxSender::tick() {
    if (!link_.online()) {
        flushing_ = false;  // the next welcome starts again
        return;
    }
    // The stored results (§3.1 step 3) and the previous outbox message
    // leave the send queue first.
    if (!link_.drained()) {
        schedule(interval_);
        return;
    }
    if (in_flight_) {
        const std::array<std::int64_t, 1> ids{*in_flight_};
        if (auto removed = journal_->remove(std::span(ids)); !removed) {
            // Not sent again while it is still stored: a duplicate is worse
            // than a late flush.
            log::warn(kLog, "cannot remove a sent message from the outbox: {}",
                      removed.error().message());
            schedule(kRetryAfterError);
            return;
        }
        in_flight_.reset();
    }
    auto next = journal_->peek(1);
    if (!next) {
        // Nothing behind an unreadable outbox may wait for it: new messages
        // go directly until the next welcome tries again.
        log::error(kLog, "cannot read the outbox, its messages wait for the next session: {}",
                   next.error().message());
        backlog_pending_ = false;
        flushing_ = false;
        return;
    }
    if (next->empty()) {
        if (flushed_ > 0) log::info(kLog, "outbox flushed: {} message(s) sent", flushed_);
        backlog_pending_ = false;
        flushing_ = false;
        return;
    }
    journal::OutboxMessage& message = next->front();
    if (auto why = refuse_stored(message)) {
        log::warn(kLog, "dropping outbox message {} ({}): {}", message.id,
                  journal::to_string(message.kind), *why);
        in_flight_ = message.id;  // removed by the next tick, like a sent one
        schedule(std::chrono::microseconds(0));
        return;
    }
    if (!link_.send(std::move(message.payload_json))) {
        schedule(interval_);  // the connection is going; the next tick sees it
        return;
    }
    in_flight_ = message.id;
    ++flushed_;
    schedule(interval_);
}

// The journal is input too: a row changed on disk (by hand, by a bug of an
// older version) must not put something on the wire that is not a message
// of its kind, nor one larger than the server accepts.
std::optional<std::string> OutboxSender::refuse_stored(const journal::OutboxMessage& message) const {
    const std::string& text = message.payload_json;
    if (text.size() > settings_.max_message_bytes) {
        return fmt::format("{} bytes, over protocol.max_message_bytes ({})", text.size(),
                           settings_.max_message_bytes);
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto error = parser.parse(text).get(root); error) {
        return fmt::format("not valid JSON: {}", simdjson::error_message(error));
    }
    simdjson::dom::object object;
    if (root.get(object) != simdjson::SUCCESS) return "not a JSON object";
    std::string_view type;
    if (object["type"].get(type) != simdjson::SUCCESS) return "no string `type`";
    if (type != journal::to_string(message.kind)) {
        return fmt::format("`type` is {}, the row says {}", type, journal::to_string(message.kind));
    }
    std::string_view field;
    if (object["id"].get(field) != simdjson::SUCCESS || field.empty()) return "no string `id`";
    if (object["ts"].get(field) != simdjson::SUCCESS) return "no string `ts`";
    simdjson::dom::object data;
    if (object["data"].get(data) != simdjson::SUCCESS) return "no object `data`";
    return std::nullopt;
}

}  // namespace outpost::runtime
