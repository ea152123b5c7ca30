#pragma once
// One allow-listed log source as a stream reads it (protocol.md §3.3
// `stream_logs`; docs/log-streaming.md). Two kinds implement it: a file
// (agent/logs/file/) and a systemd unit's journal (agent/logs/journal/). The
// stream manager (agent/logs/streams/) owns the sources of the open streams
// and decides when to read: a source never pushes lines, it says "readable"
// and is pulled, so a paused stream (the connection's send queue above its
// mark) leaves the rest in the file or the journal, not in memory.
//
// Everything runs on the service loop. A source keeps at most one bounded
// read buffer of its own; history() and read() are bounded by their
// arguments, never by the size of the file or the journal.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::transport {
class EventLoop;
}

namespace outpost::logs {

using TimePoint = std::chrono::system_clock::time_point;

// One line (a file) or one entry's MESSAGE (the journal), ready to send.
struct LogRecord {
    // Valid UTF-8 (ill-formed bytes became U+FFFD), without the line
    // terminator, at most the source's max_line_bytes; a longer line was cut
    // at a code-point boundary at or below the cap.
    std::string text;
    // Bytes of the original line past the cut; 0 when it was whole. The
    // stream marks a cut line (docs/protocol-notes.md, "log_line").
    std::uint64_t cut_bytes = 0;
    // The entry's own time (journal: __REALTIME_TIMESTAMP); for a file, when
    // the agent read the line (a file line carries no time of its own).
    TimePoint ts{};
    // A partial last line sent because it stayed incomplete past
    // logs.partial_line_timeout (its rest, if it ever comes, is a new line).
    bool partial = false;
};

// What a following source tells its stream. Called from the loop; never
// from inside history() / read() / follow().
struct SourceEvents {
    // There may be records to read() now (new data, a rotation, the file
    // appeared). Spurious calls are allowed: read() may return nothing.
    std::function<void()> on_readable;
    // The source cannot be followed any more (deleted and not recreated
    // within the grace period is NOT this: a file is waited for. This is an
    // I/O error, the journal files vanished, permission lost). `reason` is for
    // stream_end and the log.
    std::function<void(std::string reason)> on_failed;
};

// Counters a source keeps for `outpost status` and stream_end.
struct SourceCounters {
    std::uint64_t rotations = 0;    // a file: renames/recreations followed
    std::uint64_t truncations = 0;  // a file: copytruncate (size went down)
    // Lines the source knows it missed: a file truncated (copytruncate)
    // after lines were written that the agent had not read yet counts the
    // lines it can prove were lost (docs/log-streaming.md, "copytruncate").
    std::uint64_t lost = 0;
};

// What skip() passed over.
struct Skipped {
    std::uint64_t records = 0;  // whole records dropped
    std::uint64_t bytes = 0;    // of the source (a file) or of the records' text
};

// What the read-and-discard skip() below takes at most per call: a source
// that can only skip by reading makes every record it drops, so a call is
// bounded like a send pass.
inline constexpr std::size_t kDiscardRecordsPerCall = 4096;
inline constexpr std::size_t kDiscardBytesPerCall = 256 * 1024;
// history()'s byte bound when none is given (tests, tools); the stream
// manager always passes logs.max_history_bytes. Every override repeats it as
// its default, so the default is the same whatever the static type.
inline constexpr std::size_t kUnboundedHistory = SIZE_MAX;

class LogSource {
  public:
    virtual ~LogSource() = default;

    // The last `lines` records that exist now, oldest first (fewer when the
    // source has fewer), together at most `max_bytes` of text: past it the
    // older records are left out, the newest win (logs.max_history_bytes;
    // history is held in memory before the first log_line). A file is read
    // backwards from its end in bounded blocks, never whole; the journal
    // steps back from its tail. Marks the
    // position where follow() will continue, so nothing is repeated or
    // skipped between history and following. `lines` = 0: nothing, position
    // at the end. A source that does not exist yet has no history (not an
    // error: it is waited for when following).
    [[nodiscard]] virtual Expected<std::vector<LogRecord>> history(
        std::uint32_t lines, std::size_t max_bytes = kUnboundedHistory) = 0;

    // Starts watching for new records after the position history() left
    // (inotify for files, sd_journal_get_fd() for the journal), both as fds
    // in the loop. Called at most once, after history().
    [[nodiscard]] virtual Expected<void> follow(transport::EventLoop& loop,
                                                SourceEvents events) = 0;

    // Up to `max_records` complete records (and, once their timeout passed,
    // held partial lines), together at most about `max_bytes` of text, from
    // the current position; advances past what it returns. Empty: nothing
    // available now (on_readable will say when). Never blocks on the source
    // growing; reads at most ~max_bytes + one block from the file.
    [[nodiscard]] virtual std::vector<LogRecord> read(std::size_t max_records,
                                                      std::size_t max_bytes) = 0;

    // Drops up to `max_records` of the oldest unread records, about
    // `max_bytes` at most, from the current position, for a stream too far
    // behind (docs/log-streaming.md, "Flow control"); it ends on a record
    // boundary so that the next read() starts with a whole record. A file
    // jumps over whole lines, counting their newlines without making records
    // (FileSource::skip); this default, for a source that cannot do better
    // (the journal), reads and discards at most kDiscardRecordsPerCall /
    // kDiscardBytesPerCall.
    [[nodiscard]] virtual Skipped skip(std::size_t max_records, std::size_t max_bytes) {
        const auto records = read(std::min(max_records, kDiscardRecordsPerCall),
                                  std::min(max_bytes, kDiscardBytesPerCall));
        Skipped skipped;
        skipped.records = records.size();
        for (const auto& record : records) skipped.bytes += record.text.size();
        return skipped;
    }

    // Bytes known to be written and not yet returned by read() (a file: its
    // size past the position; the journal: 0 when unknown). For the stream's
    // "falling behind" decision and status; an estimate.
    [[nodiscard]] virtual std::uint64_t backlog_bytes() const = 0;

    [[nodiscard]] virtual SourceCounters counters() const = 0;

    // For logs and status: "file /var/log/app.log" or "journal nginx.service".
    [[nodiscard]] virtual std::string describe() const = 0;
};

// Keeps the newest records of `records` (oldest first) that fit in `lines`
// records and `max_bytes` of text together; drops the older ones.
inline void keep_newest(std::vector<LogRecord>& records, std::size_t lines, std::size_t max_bytes) {
    std::size_t kept = 0;
    std::size_t bytes = 0;
    for (auto it = records.rbegin(); it != records.rend() && kept < lines; ++it) {
        if (it->text.size() > max_bytes - bytes) break;
        bytes += it->text.size();
        ++kept;
    }
    records.erase(records.begin(), records.end() - static_cast<std::ptrdiff_t>(kept));
}

}  // namespace outpost::logs
