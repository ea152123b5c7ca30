#pragma once
// The last lines of a file, found by reading backwards from its end in
// blocks, never the whole file (docs/log-streaming.md, "File sources").
//
// Bounds: the backward scan stops once it has seen the newlines of `lines`
// lines, at the start of the file, or when one line (or the unterminated
// tail) runs longer than kMaxScanPerLine past max_line_bytes: such a line's
// start is not looked for, so it and everything older are left out. Then each
// line is read only as far as its cut needs (max_line_bytes + 3 bytes), the
// newest first, until the records' text would pass `max_bytes`: the older
// lines are left out.

#include <cstdint>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/logs/log_source.hpp"

namespace outpost::logs::file {

// Read size of the history scan and of following (one pread each).
inline constexpr std::size_t kBlockBytes = 64 * 1024;
// How far past max_line_bytes the scan looks for the start of one line.
inline constexpr std::uint64_t kMaxScanPerLine = 1024 * 1024;

struct HistoryWindow {
    std::vector<LogRecord> records;  // oldest first, complete lines only
    // Offset just past the last complete line: following continues here, and
    // [end, size) is the unterminated tail (the caller decides about it).
    // When the tail was too long to find its start, end = size.
    std::uint64_t end = 0;
    std::uint64_t bytes_read = 0;  // for the bound's test
};

// `fd` is read with pread() only (its offset is not used); `size` is the file
// size to treat as its end.
[[nodiscard]] Expected<HistoryWindow> read_history(int fd, std::uint64_t size, std::uint32_t lines,
                                                   std::size_t max_bytes,
                                                   std::size_t max_line_bytes, TimePoint now);

}  // namespace outpost::logs::file
