#include "agent/runtime/outbox_sender.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

#include "agent/auth/uuid.hpp"
#include "agent/common/json/json_reader.hpp"
#include "agent/log/log.hpp"
#include "agent/protocol/outbound_encoder.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "outbox";
// A confirmation is asked for after this many messages, and whenever the
// outbox has nothing more to send; never more than one ping per
// kMinProbeGap, so a control plane sees at most one extra ping a second.
constexpr std::size_t kProbeEvery = 25;
constexpr std::chrono::seconds kMinProbeGap{1};
// A paused flush (the send queue over its mark) looks again this often.
constexpr std::chrono::milliseconds kPausedRecheck{250};
// A journal that cannot be read is tried again this much later.
constexpr std::chrono::seconds kRetryAfterReadError{5};

std::optional<journal::OutboxKind> outbox_kind(const protocol::outbound::Body& body) {
    using namespace protocol::outbound;
    if (std::holds_alternative<Telemetry>(body)) return journal::OutboxKind::telemetry;
    if (std::holds_alternative<Alert>(body)) return journal::OutboxKind::alert;
    if (std::holds_alternative<Health>(body)) return journal::OutboxKind::health;
    return std::nullopt;
}

std::chrono::microseconds flush_interval(std::uint64_t rate) {
    if (rate == 0) rate = 1;  // the config schema allows 1..10 000
    return std::chrono::microseconds(1'000'000 / rate);
}

}  // namespace

OutboxSender::OutboxSender(transport::EventLoop& loop, journal::Journal* journal, Settings settings,
                           Link link)
    : journal_(journal),
      settings_(settings),
      link_(std::move(link)),
      timer_(loop),
      interval_(flush_interval(settings.flush_rate)),
      // Two seconds of messages at the flush rate may be sent before a
      // confirmation: enough to keep the rate with one ping a second, and a
      // server that reads nothing does not get the outbox pushed into a
      // dead socket.
      max_unconfirmed_(std::max<std::size_t>(100, 2 * settings.flush_rate)) {}

std::optional<std::uint64_t> OutboxSender::kept() {
    if (journal_ == nullptr) return std::nullopt;
    auto size = journal_->size();
    if (!size) {
        log::warn(kLog, "cannot count the outbox: {}", size.error().message());
        return std::nullopt;
    }
    return *size;
}

bool OutboxSender::deliver(protocol::outbound::Body body) {
    const auto kind = outbox_kind(body);
    const std::string_view type = protocol::type_name(body);
    if (!kind) log::error(kLog, "{} is not an outbox message; sending it directly", type);
    // Encoded now: the id and ts are the moment the message was made, not
    // the moment a flush sends it.
    protocol::OutboundMessage message{auth::uuid_v4(), protocol::now_rfc3339(), std::move(body)};
    auto text = protocol::encode_checked(message, settings_.max_message_bytes);
    if (!text) {
        log::error(kLog, "not sending {}: {}", type, text.error().message());
        return false;
    }
    const bool online = link_.online();
    if (!kind || journal_ == nullptr) {
        if (online && link_.send(std::move(*text))) return true;
        log::warn(kLog, "{} lost: not connected{}", type,
                  kind ? ", and the journal that keeps the outbox is unavailable" : "");
        return false;
    }
    auto stored = journal_->enqueue(*kind, *text, std::chrono::system_clock::now());
    if (!stored) {
        log::warn(kLog, "{} could not be kept in the outbox: {}", type, stored.error().message());
        // Sent once, unconfirmed, rather than not at all.
        if (online && link_.send(std::move(*text))) return true;
        log::warn(kLog, "{} lost", type);
        return false;
    }
    if (stored->dropped_other > 0) {
        log::warn(kLog, "outbox full: dropped the {} oldest alert/health message(s)",
                  stored->dropped_other);
    }
    // Telemetry comes every interval: its drops are counted in the samples
    // (agent.outbox.dropped) and each kept sample is not worth a line.
    const auto level =
        kind == journal::OutboxKind::telemetry ? log::Level::debug : log::Level::info;
    if (stored->dropped_telemetry > 0) {
        log::emit(level, kLog, "outbox full: dropped {} telemetry sample(s)",
                  stored->dropped_telemetry);
    }
    if (!online) {
        if (stored->id)
            log::emit(level, kLog, "{} kept in the outbox until the next session", type);
        return true;
    }
    kick();
    return true;
}

void OutboxSender::start_session() {
    // What the previous connection was given without a confirmation may
    // not have arrived: it goes again (at least once; ids let the server
    // deduplicate).
    sent_through_ = 0;
    unconfirmed_.clear();
    probe_.reset();
    uncapped_ = false;
    sent_ = 0;
    flushing_ = false;
    kick();
}

void OutboxSender::kick() {
    if (journal_ == nullptr) return;
    // Also while a flush waits for a pong: a new message need not wait for
    // it (nor for the patience, when the server does not answer pings).
    // The tick replaces whatever was scheduled and re-arms that wait.
    flushing_ = true;
    // Never faster than the rate, counted from the last message sent.
    const auto since = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - last_sent_at_);
    schedule(std::max(std::chrono::microseconds(0), interval_ - since));
}

void OutboxSender::schedule(std::chrono::microseconds delay) {
    timer_.schedule(delay, [this] { tick(); });
}

void OutboxSender::on_pong(std::string_view ref) {
    if (!probe_ || probe_->ping_id != ref) return;  // a heartbeat's pong
    const std::int64_t through = probe_->through;
    probe_.reset();
    confirm(through);
    if (flushing_) schedule(interval_);
}

void OutboxSender::confirm(std::int64_t through) {
    if (auto removed = journal_->remove_through(through); !removed) {
        // They stay stored and go again after the next welcome.
        log::warn(kLog, "cannot remove confirmed messages from the outbox: {}",
                  removed.error().message());
    }
    while (!unconfirmed_.empty() && unconfirmed_.front() <= through) unconfirmed_.pop_front();
}

void OutboxSender::send_probe() {
    const auto now = std::chrono::steady_clock::now();
    if (unconfirmed_.empty() || probe_ || now - last_probe_at_ < kMinProbeGap) return;
    auto id = link_.probe();
    if (!id) return;  // the connection is going; the next tick sees it
    last_probe_at_ = now;
    probe_ = Probe{std::move(*id), unconfirmed_.back(), now};
}

void OutboxSender::tick() {
    if (!link_.online()) {
        flushing_ = false;  // the next welcome starts again
        return;
    }
    if (link_.paused && link_.paused()) {
        schedule(kPausedRecheck);
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (probe_ && now - probe_->sent_at >= settings_.pong_patience) {
        // Nothing is deleted: a later ping's pong still confirms all of it,
        // and without one it all goes again after the next welcome. Said
        // once per connection; later pings keep asking, every patience.
        if (!uncapped_)
            log::warn(kLog,
                      "no pong{{ref}} for ping {} within {} ms (a slow or dead link, or a server "
                      "that does not answer pings): the {} message(s) sent and not confirmed stay "
                      "stored and go again after the next welcome",
                      probe_->ping_id, settings_.pong_patience.count(), unconfirmed_.size());
        probe_.reset();
        uncapped_ = true;
    }
    if (!uncapped_ && unconfirmed_.size() >= max_unconfirmed_) {
        send_probe();
        schedule(probe_ ? settings_.pong_patience : kMinProbeGap);  // on_pong() comes sooner
        return;
    }
    auto next = journal_->peek(1, sent_through_);
    if (!next) {
        // Said once until a read works again; the journal's trouble also
        // shows in health and `outpost status`.
        if (!read_failing_) {
            log::error(kLog, "cannot read the outbox, trying again every {} s: {}",
                       kRetryAfterReadError.count(), next.error().message());
        }
        read_failing_ = true;
        schedule(kRetryAfterReadError);
        return;
    }
    if (read_failing_) log::info(kLog, "the outbox can be read again");
    read_failing_ = false;
    if (next->empty()) {
        if (unconfirmed_.empty()) {
            if (sent_ > 0)
                log::info(kLog, "outbox flushed: {} message(s) sent and confirmed", sent_);
            sent_ = 0;
            flushing_ = false;
            return;
        }
        send_probe();
        // on_pong() reschedules sooner; without a probe (one was sent less
        // than kMinProbeGap ago, or it went unanswered), try again.
        schedule(probe_ ? settings_.pong_patience : kMinProbeGap);
        return;
    }
    journal::OutboxMessage& message = next->front();
    if (auto why = refuse_stored(message)) {
        sent_through_ = message.id;
        log::warn(kLog, "dropping outbox message {} ({}): {}", message.id,
                  journal::to_string(message.kind), *why);
        const std::array<std::int64_t, 1> ids{message.id};
        if (auto removed = journal_->remove(std::span(ids)); !removed) {
            log::warn(kLog, "cannot remove it: {}", removed.error().message());
        }
        schedule(std::chrono::microseconds(0));
        return;
    }
    if (!link_.send(std::move(message.payload_json))) {
        flushing_ = false;  // the connection is going; the next welcome sends it
        return;
    }
    sent_through_ = message.id;
    last_sent_at_ = now;
    ++sent_;
    unconfirmed_.push_back(message.id);
    if (unconfirmed_.size() >= kProbeEvery) send_probe();  // nothing while one is awaited
    schedule(interval_);
}

// The journal is input too: a row changed on disk (by hand, by a bug of an
// older version) must not put something on the wire that is not a message
// of its kind, nor one larger than the server accepts.
std::optional<std::string> OutboxSender::refuse_stored(
    const journal::OutboxMessage& message) const {
    const std::string& text = message.payload_json;
    if (text.size() > settings_.max_message_bytes) {
        return fmt::format("{} bytes, over protocol.max_message_bytes ({})", text.size(),
                           settings_.max_message_bytes);
    }
    const auto document = json::Document::parse(text);
    if (!document) return fmt::format("not valid JSON: {}", document.error().message());
    const auto object = document->root().object();
    if (!object) return "not a JSON object";
    const auto string_member = [&](std::string_view key) -> std::optional<std::string_view> {
        const auto value = object->find(key);
        return value ? value->string() : std::nullopt;
    };
    const auto type = string_member("type");
    if (!type) return "no string `type`";
    if (*type != journal::to_string(message.kind)) {
        return fmt::format("`type` is {}, the row says {}", *type,
                           journal::to_string(message.kind));
    }
    if (const auto id = string_member("id"); !id || id->empty()) return "no string `id`";
    if (!string_member("ts")) return "no string `ts`";
    const auto data = object->find("data");
    if (!data || data->kind() != json::Kind::object) return "no object `data`";
    return std::nullopt;
}

}  // namespace outpost::runtime
