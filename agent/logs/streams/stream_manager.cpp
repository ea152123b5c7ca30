#include "agent/logs/streams/stream_manager.hpp"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "agent/log/log.hpp"
#include "agent/logs/streams/stream_policy.hpp"
#include "agent/logs/streams/wire_lines.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::logs::streams {
namespace {

constexpr std::string_view kLog = "logs";

Instant steady_now() {
    return std::chrono::steady_clock::now();
}

const config::LogSourceEntry* find_entry(const config::LogsConfig& logs, std::string_view name) {
    auto it = std::find_if(logs.sources.begin(), logs.sources.end(),
                           [&](const config::LogSourceEntry& e) { return e.name == name; });
    return it == logs.sources.end() ? nullptr : &*it;
}

}  // namespace

struct StreamManager::Stream {
    Stream(transport::EventLoop& loop, std::string id_, config::LogSourceEntry entry_, bool follow_)
        : id(std::move(id_)),
          entry(std::move(entry_)),
          follow(follow_),
          policy(entry.lines_per_second, steady_now()),
          timer(loop),
          since(std::chrono::system_clock::now()) {}

    std::string id;
    config::LogSourceEntry entry;  // as opened: apply_config compares it
    bool follow;
    std::unique_ptr<LogSource> source;
    // Records not sent yet: the history (paced like the lines that follow
    // it), and what a pass read before the send queue reached its mark.
    std::deque<LogRecord> pending;
    StreamPolicy policy;
    transport::Timer timer;  // the stream's next pass
    TimePoint since;
    std::uint64_t lines_sent = 0;
    bool paused = false;
    // The pending pass only waits to report drops (the source was dry): new
    // data must not wait for it.
    bool marker_wait = false;
    std::optional<std::string> failure;  // from on_failed: ends it at the next pass
};

StreamManager::StreamManager(transport::EventLoop& loop, Settings settings, SourceOpener open,
                             StreamLinks links)
    : loop_(loop),
      settings_(std::move(settings)),
      open_(std::move(open)),
      links_(std::move(links)),
      total_(settings_.logs.max_lines_per_second, steady_now()),
      ends_timer_(std::make_unique<transport::Timer>(loop)) {}

StreamManager::~StreamManager() = default;

std::optional<protocol::ProtocolError> StreamManager::handle(const protocol::inbound::Body& body,
                                                             const std::string& frame_id) {
    if (const auto* request = std::get_if<protocol::inbound::StreamLogs>(&body)) {
        return open(*request, frame_id);
    }
    if (const auto* request = std::get_if<protocol::inbound::StopStream>(&body)) {
        return stop(*request, frame_id);
    }
    return std::nullopt;
}

// --- opening and stopping ---

std::optional<protocol::ProtocolError> StreamManager::open(
    const protocol::inbound::StreamLogs& request, const std::string& frame_id) {
    if (streams_.contains(request.stream_id)) {
        // §3.3: the open stream goes on.
        return protocol::ProtocolError{
            protocol::ErrorCode::schema,
            fmt::format("stream `{}` is already open", request.stream_id), "/data/stream_id",
            frame_id};
    }
    const config::LogSourceEntry* entry = find_entry(settings_.logs, request.source);
    if (entry == nullptr) {
        refuse(request.stream_id, fmt::format("unknown source `{}`", request.source));
        return std::nullopt;
    }
    if (auto full = refuse_open(streams_.size(), settings_.logs.max_streams)) {
        refuse(request.stream_id, std::move(*full));
        return std::nullopt;
    }
    auto started = start(request, *entry);
    if (!started) {
        refuse(request.stream_id, started.error().message());
        return std::nullopt;
    }
    Stream& stream = **started;
    log::info(kLog, "stream {}: {} ({} lines of history{})", stream.id, stream.source->describe(),
              stream.pending.size(), stream.follow ? ", following" : "");
    streams_.emplace(stream.id, std::move(*started));
    wake(stream);
    return std::nullopt;
}

Expected<std::unique_ptr<StreamManager::Stream>> StreamManager::start(
    const protocol::inbound::StreamLogs& request, const config::LogSourceEntry& entry) {
    auto stream = std::make_unique<Stream>(loop_, request.stream_id, entry, request.follow);
    auto source = open_(entry, settings_.logs);
    if (!source) return fail(source.error().kind(), "source failed: " + source.error().message());
    stream->source = std::move(*source);
    const std::uint32_t lines = std::min(request.lines, settings_.logs.max_history_lines);
    auto history = stream->source->history(lines, settings_.logs.max_history_bytes);
    if (!history)
        return fail(history.error().kind(), "source failed: " + history.error().message());
    stream->pending.assign(std::make_move_iterator(history->begin()),
                           std::make_move_iterator(history->end()));
    if (stream->follow) {
        // The callbacks find the stream by id: it may be gone by the time
        // they run, and they only schedule a pass (never inside the source).
        const std::string id = stream->id;
        auto followed = stream->source->follow(
            loop_, SourceEvents{.on_readable =
                                    [this, id] {
                                        if (auto it = streams_.find(id); it != streams_.end()) {
                                            wake(*it->second);
                                        }
                                    },
                                .on_failed =
                                    [this, id](std::string reason) {
                                        auto it = streams_.find(id);
                                        if (it == streams_.end()) return;
                                        it->second->failure = std::move(reason);
                                        it->second->timer.cancel();
                                        wake(*it->second);
                                    }});
        if (!followed) {
            return fail(followed.error().kind(), "source failed: " + followed.error().message());
        }
    }
    return stream;
}

void StreamManager::refuse(const std::string& stream_id, std::string reason) {
    log::warn(kLog, "stream {} refused: {}", stream_id, reason);
    send_end(protocol::outbound::StreamEnd{stream_id, std::move(reason)});
}

std::optional<protocol::ProtocolError> StreamManager::stop(
    const protocol::inbound::StopStream& request, const std::string& frame_id) {
    if (!streams_.contains(request.stream_id)) {
        return protocol::ProtocolError{protocol::ErrorCode::unknown_request,
                                       fmt::format("no open stream `{}`", request.stream_id),
                                       std::nullopt, frame_id};
    }
    end(request.stream_id, std::string(kReasonStopped));
    return std::nullopt;
}

// --- ending ---

void StreamManager::end(const std::string& stream_id, std::string reason, bool silent) {
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) return;
    // The stream (its timer, its source's watches) goes after the message
    // is built; this may run inside the stream's own timer callback, which
    // the Timer allows.
    std::unique_ptr<Stream> stream = std::move(it->second);
    streams_.erase(it);
    protocol::outbound::StreamEnd message{stream->id, reason};
    message.dropped = stream->policy.dropped_total();
    message.lost = stream->source->counters().lost;
    log::info(kLog, "stream {} ended: {} ({} lines sent, {} dropped, {} lost)", stream->id, reason,
              stream->lines_sent, *message.dropped, *message.lost);
    if (!silent) send_end(std::move(message));
}

// How often a refused stream_end is tried again: it waits on the server
// reading, which takes at least a round trip.
constexpr std::chrono::milliseconds kEndRetry{50};

void StreamManager::send_end(protocol::outbound::StreamEnd message) {
    // Behind ones already waiting, so the server sees them in order.
    if (unsent_ends_.empty() && links_.send(message)) return;
    if (!links_.online()) return;  // no session: nobody left to answer
    if (unsent_ends_.size() >= kMaxUnsentEnds) {
        ++ends_given_up_;
        log::warn(kLog, "stream {}: stream_end not sent, {} already wait for the send queue",
                  message.stream_id, unsent_ends_.size());
        return;
    }
    unsent_ends_.push_back(std::move(message));
    if (!ends_timer_->pending()) ends_timer_->schedule(kEndRetry, [this] { flush_ends(); });
}

void StreamManager::flush_ends() {
    while (!unsent_ends_.empty()) {
        if (!links_.send(unsent_ends_.front())) {
            if (!links_.online()) {
                unsent_ends_.clear();  // the session went: they went with it
                return;
            }
            ends_timer_->schedule(kEndRetry, [this] { flush_ends(); });
            return;
        }
        unsent_ends_.pop_front();
    }
}

void StreamManager::end_all(std::string_view reason) {
    while (!streams_.empty()) end(streams_.begin()->first, std::string(reason));
}

void StreamManager::end_all_silently(std::string_view why) {
    while (!streams_.empty()) end(streams_.begin()->first, std::string(why), true);
}

void StreamManager::on_session_start() {
    end_all_silently("the session it was opened in ended");
    // Their streams belonged to the last session: the new one never knew them.
    unsent_ends_.clear();
    ends_timer_->cancel();
}

void StreamManager::apply_config(const config::LogsConfig& logs) {
    std::vector<std::pair<std::string, std::string>> ending;
    for (const auto& [id, stream] : streams_) {
        const config::LogSourceEntry* now = find_entry(logs, stream->entry.name);
        if (now == nullptr) {
            ending.emplace_back(id, "source removed from the configuration");
        } else if (*now != stream->entry) {
            ending.emplace_back(id, "source changed in the configuration");
        }
    }
    for (auto& [id, reason] : ending) end(id, std::move(reason));
    settings_.logs = logs;
    total_.set_rate(logs.max_lines_per_second, steady_now());
}

std::vector<StreamStatus> StreamManager::status() const {
    std::vector<StreamStatus> out;
    out.reserve(streams_.size());
    for (const auto& [id, stream] : streams_) {
        out.push_back(StreamStatus{.stream_id = id,
                                   .source = stream->entry.name,
                                   .since = stream->since,
                                   .lines_sent = stream->lines_sent,
                                   .dropped = stream->policy.dropped_total(),
                                   .lost = stream->source->counters().lost,
                                   .backlog_bytes = stream->source->backlog_bytes(),
                                   .paused = stream->paused});
    }
    return out;
}

// --- a stream's passes ---

void StreamManager::wake(Stream& stream) {
    // A pass already scheduled (for tokens, or after back-pressure) stays:
    // waking it early would only find the same limits. One that only waits
    // to report drops does not: a stream that skipped to the end of its
    // source and went dry would sit out kMarkerEvery while it grows again.
    if (stream.timer.pending() && !stream.marker_wait) return;
    schedule_pass(stream, std::chrono::microseconds(0));
}

void StreamManager::pass(Stream& stream) {
    if (stream.failure) {
        end(stream.id, "source failed: " + *stream.failure);
        return;
    }
    const Instant now = steady_now();
    const PassPlan plan =
        stream.policy.plan(now, total_, stream.source->backlog_bytes(), links_.backpressured());
    stream.paused = plan.paused;
    if (plan.paused) {
        schedule_pass(stream, kPausedRetry);
        return;
    }
    if (auto dropped = stream.policy.take_marker(now)) {
        if (!send_line(stream,
                       drop_marker(stream.id, *dropped, std::chrono::system_clock::now()))) {
            return;
        }
    }
    const bool skipping = plan.skip && skip_lines(stream);
    const Sent sent = send_lines(stream, plan.send_lines);
    if (sent == Sent::stream_ended) return;
    if (!stream.follow && stream.pending.empty()) {
        end(stream.id, std::string(kReasonDone));
        return;
    }
    if (skipping) {
        schedule_pass(stream, kSkipPause);  // still too far behind
    } else if (sent == Sent::budget_used) {
        // Out of tokens or of this pass's share: the next pass once a batch
        // is there (at once when it already is).
        schedule_pass(stream, stream.policy.wait_for_tokens(now, total_));
    } else if (stream.policy.unreported() > 0) {
        // Dry: on_readable wakes it. Drops not reported yet get their
        // marker even when no more come.
        schedule_pass(stream, kMarkerEvery);
        stream.marker_wait = true;
    }
}

void StreamManager::schedule_pass(Stream& stream, std::chrono::microseconds delay) {
    Stream* target = &stream;
    stream.marker_wait = false;
    stream.timer.schedule(delay, [this, target] { pass(*target); });
}

StreamManager::Sent StreamManager::send_lines(Stream& stream, std::size_t lines) {
    const std::size_t max_text = max_text_for(settings_.max_message_bytes);
    bool dry = !stream.follow;
    // Read only once the history is (nearly) out, so the order holds.
    if (stream.follow && stream.pending.size() < lines) {
        const std::size_t wanted = lines - stream.pending.size();
        auto records = stream.source->read(wanted, kBytesPerPass);
        // Only an empty read means "nothing now, on_readable will say when"
        // (log_source.hpp); fewer than asked may stop at a rotation.
        dry = records.empty();
        for (auto& record : records) stream.pending.push_back(std::move(record));
    }
    std::size_t sent = 0;
    std::size_t bytes = 0;
    while (sent < lines && bytes < kBytesPerPass && !stream.pending.empty()) {
        // The send queue reached its mark mid-pass: the rest (at most one
        // pass's records) waits here, not refused and lost.
        if (links_.backpressured()) break;
        LogRecord record = std::move(stream.pending.front());
        stream.pending.pop_front();
        bytes += record.text.size();
        ++sent;
        if (!send_line(stream, to_log_line(stream.id, std::move(record), max_text))) {
            return Sent::stream_ended;
        }
    }
    stream.policy.sent(sent, total_);
    return dry && stream.pending.empty() ? Sent::source_dry : Sent::budget_used;
}

bool StreamManager::skip_lines(Stream& stream) {
    const Skipped skipped = stream.source->skip(kSkipLinesPerPass, kSkipBytesPerPass);
    stream.policy.dropped(skipped.records);
    return skipped.records == kSkipLinesPerPass ||
           stream.source->backlog_bytes() > kSkipBacklogBytes;
}

bool StreamManager::send_line(Stream& stream, protocol::outbound::LogLine line) {
    const bool marker = line.dropped.has_value();
    if (links_.send(std::move(line))) {
        if (!marker) ++stream.lines_sent;
        return true;
    }
    if (!links_.online()) {
        // The session is gone, and its streams with it.
        end_all_silently("the session ended");
        return false;
    }
    // Refused over the send queue's reserve: lost to the stream, counted.
    stream.policy.dropped(1);
    return true;
}

}  // namespace outpost::logs::streams
