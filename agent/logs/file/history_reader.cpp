#include "agent/logs/file/history_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "agent/logs/file/line_assembler.hpp"

namespace outpost::logs::file {

namespace {

[[nodiscard]] Expected<std::size_t> pread_full(int fd, char* buffer, std::size_t length,
                                               std::uint64_t offset) {
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n =
            ::pread(fd, buffer + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(ErrorKind::io, std::string("pread: ") + std::strerror(errno));
        if (n == 0) break;  // the file shrank under us: take what is there
        done += static_cast<std::size_t>(n);
    }
    return done;
}

// Offsets of newlines found scanning backwards from `size`, newest first.
struct NewlineScan {
    std::vector<std::uint64_t> newlines;
    bool reached_start = false;  // the scan got to offset 0
    std::uint64_t bytes_read = 0;
};

[[nodiscard]] Expected<NewlineScan> scan_newlines(int fd, std::uint64_t size, std::size_t wanted,
                                                  std::uint64_t max_line_scan) {
    NewlineScan scan;
    std::string block(kBlockBytes, '\0');
    std::uint64_t pos = size;
    while (pos > 0 && scan.newlines.size() < wanted) {
        const std::size_t length =
            static_cast<std::size_t>(std::min<std::uint64_t>(kBlockBytes, pos));
        auto got = pread_full(fd, block.data(), length, pos - length);
        if (!got) return std::unexpected(got.error());
        scan.bytes_read += *got;
        if (*got < length) return scan;  // truncated meanwhile: what was found holds
        for (std::size_t i = length; i > 0 && scan.newlines.size() < wanted; --i) {
            if (block[i - 1] == '\n') scan.newlines.push_back(pos - length + i - 1);
        }
        pos -= length;
        const std::uint64_t line_end = scan.newlines.empty() ? size : scan.newlines.back();
        if (scan.newlines.size() < wanted && line_end - pos > max_line_scan) return scan;
    }
    scan.reached_start = pos == 0;
    return scan;
}

// The record of the line [begin, end) (end: its LF), reading only what the
// cut needs plus its last byte (a CR before the LF is not part of the line).
[[nodiscard]] Expected<LogRecord> read_line(int fd, std::uint64_t begin, std::uint64_t end,
                                            std::size_t max_line_bytes, TimePoint now,
                                            std::uint64_t& bytes_read) {
    std::uint64_t length = end - begin;
    if (length > 0) {
        char last = 0;
        auto got = pread_full(fd, &last, 1, end - 1);
        if (!got) return std::unexpected(got.error());
        bytes_read += *got;
        if (*got == 1 && last == '\r') --length;
    }
    std::string prefix(
        static_cast<std::size_t>(std::min<std::uint64_t>(length, max_line_bytes + 3)), '\0');
    auto got = pread_full(fd, prefix.data(), prefix.size(), begin);
    if (!got) return std::unexpected(got.error());
    bytes_read += *got;
    prefix.resize(*got);
    return make_record(prefix, length, max_line_bytes, now);
}

}  // namespace

Expected<HistoryWindow> read_history(int fd, std::uint64_t size, std::uint32_t lines,
                                     std::size_t max_bytes, std::size_t max_line_bytes,
                                     TimePoint now) {
    HistoryWindow window;
    // One newline ends the tail, `lines` more start and end the lines.
    auto scan = scan_newlines(fd, size, std::size_t{lines} + 1, max_line_bytes + kMaxScanPerLine);
    if (!scan) return std::unexpected(scan.error().context("reading history"));
    window.bytes_read = scan->bytes_read;
    const auto& newlines = scan->newlines;
    if (newlines.empty()) {
        // No complete line: the whole file is the tail, unless it was too
        // long to find where it starts.
        window.end = scan->reached_start ? 0 : size;
        return window;
    }
    window.end = newlines.front() + 1;
    // Line k (k = 0 newest) ends at newlines[k] and starts after
    // newlines[k + 1], or at 0 for the oldest when the scan reached the start.
    std::size_t count = newlines.size() - 1;
    if (scan->reached_start && count < lines) ++count;
    count = std::min<std::size_t>(count, lines);
    // Newest first, so that the byte bound leaves out the oldest.
    std::size_t text_bytes = 0;
    for (std::size_t k = 1; k <= count; ++k) {
        const std::uint64_t end = newlines[k - 1];
        const std::uint64_t begin = k < newlines.size() ? newlines[k] + 1 : 0;
        auto record = read_line(fd, begin, end, max_line_bytes, now, window.bytes_read);
        if (!record) return std::unexpected(record.error().context("reading history"));
        text_bytes += record->text.size();
        if (text_bytes > max_bytes) break;
        window.records.push_back(std::move(*record));
    }
    std::reverse(window.records.begin(), window.records.end());
    return window;
}

}  // namespace outpost::logs::file
