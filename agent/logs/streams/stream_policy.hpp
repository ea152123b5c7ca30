#pragma once
// The pure decisions of one log stream (docs/log-streaming.md, "Flow
// control"): how many lines it may pull now, when it falls so far behind
// that lines are skipped (dropped and counted), and when a drop marker is
// due. No loop, no I/O: the time and the connection's state are passed in,
// and StreamManager carries the decisions out.
//
// - Rate: a line costs one token of the stream's bucket (the source's
//   lines_per_second) and one of the agent-wide bucket
//   (logs.max_lines_per_second). History is paced the same way.
// - Back-pressure: while the connection's send queue is above its mark
//   nothing is read; the rest stays in the file or the journal, so the
//   agent's memory does not grow with what a source writes.
// - Drops: a stream whose source holds more than kSkipBacklogBytes unread
//   (it writes faster than the stream's rate, or than one pass a loop turn
//   carries) reads the oldest of it and drops it, counted, before sending
//   the newer lines, so such a source is followed with a bounded lag rather
//   than an ever-growing one. Drops never happen in history or while the
//   connection is back-pressured (then the stream pauses instead).
// - Markers: while drops happen, a `log_line` marker with the count since
//   the last one is due at most every kMarkerEvery.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/logs/streams/token_bucket.hpp"

namespace outpost::logs::streams {

// Per stream and loop pass: heartbeats, commands and other streams get the
// loop between two passes whatever one stream has to send.
inline constexpr std::size_t kLinesPerPass = 256;
inline constexpr std::size_t kBytesPerPass = 256 * 1024;
// Unread bytes past which a rate-bound stream skips lines.
inline constexpr std::uint64_t kSkipBacklogBytes = 4 * 1024 * 1024;
// What one pass may skip (LogSource::skip). A file skips by counting
// newlines, no records made (8 MiB: a few ms); a source that can only read
// and discard caps a call itself (kDiscardBytesPerCall).
inline constexpr std::size_t kSkipLinesPerPass = 1 << 20;
inline constexpr std::size_t kSkipBytesPerPass = 8 * 1024 * 1024;
// Between two skipping passes: the loop's fds (the session's reads, pongs)
// get their turn even when skipping is all a stream has to do. At 1 ms
// apart, skipping by reading every line left pings unanswered for 15 s
// under a source at ~100 MB/s (ASan build); at 20 ms they are answered. A
// file skips up to 8 MiB a pass (400 MB/s); a source faster than the
// skipping lags in its file, not in memory.
inline constexpr std::chrono::milliseconds kSkipPause{20};
inline constexpr std::chrono::seconds kMarkerEvery{5};
// While paused by back-pressure, the stream looks again this often.
inline constexpr std::chrono::milliseconds kPausedRetry{5};

// What a stream does in one pass.
struct PassPlan {
    std::size_t send_lines = 0;  // read and send at most this many lines
    bool skip = false;           // too far behind: drop the oldest unread
    bool paused = false;         // back-pressured: read nothing
};

class StreamPolicy {
  public:
    StreamPolicy(std::uint32_t lines_per_second, Instant now);

    // This pass, given the agent-wide bucket, the source's unread bytes and
    // whether the connection is back-pressured.
    [[nodiscard]] PassPlan plan(Instant now, TokenBucket& total, std::uint64_t backlog_bytes,
                                bool backpressured);
    // `lines` were sent: spends their tokens in both buckets.
    void sent(std::size_t lines, TokenBucket& total);
    void dropped(std::uint64_t lines);
    // When the next pass can send at least a batch (a twentieth of a
    // second's worth, at least 1, at most kLinesPerPass): the wait after a
    // pass that ran out of tokens.
    [[nodiscard]] std::chrono::microseconds wait_for_tokens(Instant now, TokenBucket& total);

    // A marker is due: lines were dropped since the last one and the last
    // was at least kMarkerEvery ago (or none was sent and the stream is that
    // old). Returns the count and starts a new period.
    [[nodiscard]] std::optional<std::uint64_t> take_marker(Instant now);
    // Dropped and not yet reported by a marker (stream_end reports them).
    [[nodiscard]] std::uint64_t unreported() const { return unreported_; }
    [[nodiscard]] std::uint64_t dropped_total() const { return dropped_total_; }

    void set_rate(std::uint32_t lines_per_second, Instant now) {
        own_.set_rate(lines_per_second, now);
    }

  private:
    TokenBucket own_;
    std::uint64_t dropped_total_ = 0;
    std::uint64_t unreported_ = 0;
    Instant last_marker_;
};

// Admission of one more stream (protocol.md §3.3: refused at once with
// stream_end{reason}); nullopt: it may open.
[[nodiscard]] std::optional<std::string> refuse_open(std::size_t open_streams,
                                                     std::uint32_t max_streams);

}  // namespace outpost::logs::streams
