#pragma once
// The open log streams of the session (protocol.md §3.3 stream_logs /
// stop_stream; docs/log-streaming.md): opens the allow-listed source a
// stream_logs names, sends its history and then what it appends, as
// `log_line`s straight to the session (never the outbox: streams are live
// only), paced by StreamPolicy, and ends each stream with `stream_end`.
//
// Everything runs on the service loop. A stream reads its source only in
// its own passes (a zero-delay Timer after the source says readable, or
// when its buckets refill), at most one pass's budget at a time, so
// heartbeats and commands keep their turn; while the connection is
// back-pressured it reads nothing.
//
// Streams are not journaled and do not survive the session: a new welcome
// (or a send that finds the session gone) ends them all without a word, the
// peer that opened them being gone; the control plane opens them again.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "agent/logs/log_source.hpp"
#include "agent/logs/streams/token_bucket.hpp"
#include "agent/protocol/errors.hpp"
#include "agent/protocol/inbound_messages.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::transport {
class Timer;
class EventLoop;
}  // namespace outpost::transport

namespace outpost::logs::streams {

// Opens the source of a config entry (FileSource or JournalSource by kind;
// open_source.hpp). Tests give their own.
using SourceOpener = std::function<Expected<std::unique_ptr<LogSource>>(
    const config::LogSourceEntry& entry, const config::LogsConfig& logs)>;

// The session, as the streams use it (SessionDriver's members).
struct StreamLinks {
    std::function<bool(protocol::outbound::Body)> send;  // false: not sent
    std::function<bool()> backpressured;
    std::function<bool()> online;
};

// One open stream, for `outpost status`.
struct StreamStatus {
    std::string stream_id;
    std::string source;  // the config entry's name
    TimePoint since{};
    std::uint64_t lines_sent = 0;
    std::uint64_t dropped = 0;
    std::uint64_t lost = 0;
    std::uint64_t backlog_bytes = 0;
    bool paused = false;  // back-pressured at its last pass
};

// stream_end reasons that are fixed words (protocol.md §3.3).
inline constexpr std::string_view kReasonStopped = "stopped";
inline constexpr std::string_view kReasonDone = "done";

class StreamManager {
  public:
    struct Settings {
        config::LogsConfig logs;
        std::size_t max_message_bytes = 1024 * 1024;
    };

    StreamManager(transport::EventLoop& loop, Settings settings, SourceOpener open,
                  StreamLinks links);
    ~StreamManager();
    StreamManager(const StreamManager&) = delete;
    StreamManager& operator=(const StreamManager&) = delete;

    // stream_logs or stop_stream. A refusal that is an `error` (a duplicate
    // stream_id, an unknown one in stop_stream) is returned for the
    // dispatcher to send; a refused open is answered here, with stream_end.
    [[nodiscard]] std::optional<protocol::ProtocolError> handle(const protocol::inbound::Body& body,
                                                                const std::string& frame_id);

    // Graceful stop: stream_end{reason} for every open stream, now (before
    // status{offline}).
    void end_all(std::string_view reason);
    // A new session's welcome: the streams of the last one ended with it.
    void on_session_start();
    // The SIGHUP reload: streams whose source was removed from `logs` or
    // changed in it end (stream_end says which); limits and the agent-wide
    // rate take the new values; streams past a lowered max_streams go on.
    void apply_config(const config::LogsConfig& logs);

    [[nodiscard]] std::vector<StreamStatus> status() const;
    [[nodiscard]] std::size_t open_count() const { return streams_.size(); }
    // stream_end messages the send queue refused, waiting for it to drain,
    // and those given up on past kMaxUnsentEnds (for status and tests).
    [[nodiscard]] std::size_t unsent_ends() const { return unsent_ends_.size(); }
    [[nodiscard]] std::uint64_t ends_given_up() const { return ends_given_up_; }

    // How many refused stream_end messages wait at most; a server that keeps
    // opening streams while it does not read cannot grow this without bound.
    static constexpr std::size_t kMaxUnsentEnds = 1024;

  private:
    struct Stream;

    [[nodiscard]] std::optional<protocol::ProtocolError> open(
        const protocol::inbound::StreamLogs& request, const std::string& frame_id);
    [[nodiscard]] std::optional<protocol::ProtocolError> stop(
        const protocol::inbound::StopStream& request, const std::string& frame_id);
    // Sets the stream up (source, history, following); an error is the
    // reason of the stream_end that refuses it.
    [[nodiscard]] Expected<std::unique_ptr<Stream>> start(
        const protocol::inbound::StreamLogs& request, const config::LogSourceEntry& entry);
    void refuse(const std::string& stream_id, std::string reason);
    // A pass on the next loop turn, unless one is scheduled already.
    void wake(Stream& stream);
    void schedule_pass(Stream& stream, std::chrono::microseconds delay);
    void pass(Stream& stream);
    enum class Sent {
        budget_used,   // as many as allowed: there may be more
        source_dry,    // the source had none: on_readable says when more come
        stream_ended,  // a send found the session gone: the stream is gone
    };
    // This pass's lines, history first, then the source's.
    [[nodiscard]] Sent send_lines(Stream& stream, std::size_t lines);
    // Reads and drops one pass's worth; true when still too far behind.
    [[nodiscard]] bool skip_lines(Stream& stream);
    [[nodiscard]] bool send_line(Stream& stream, protocol::outbound::LogLine line);
    // stream_end (unless `silent`) and the stream is gone.
    void end(const std::string& stream_id, std::string reason, bool silent = false);
    void end_all_silently(std::string_view why);
    // stream_end is the only answer a server gets to a refused or stopped
    // stream (§3.3): one the send queue refuses (even with the reply
    // reserve) is kept and sent, in order, once the queue takes it.
    void send_end(protocol::outbound::StreamEnd message);
    void flush_ends();

    transport::EventLoop& loop_;
    Settings settings_;
    SourceOpener open_;
    StreamLinks links_;
    TokenBucket total_;
    std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams_;
    std::deque<protocol::outbound::StreamEnd> unsent_ends_;
    std::unique_ptr<transport::Timer> ends_timer_;  // the next try of unsent_ends_
    std::uint64_t ends_given_up_ = 0;
};

}  // namespace outpost::logs::streams
