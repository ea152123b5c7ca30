#pragma once
// Turns the bytes of a file, in chunks of any size, into LogRecords: one per
// line, without the terminator ("\n", or "\r\n": a CR right before the LF is
// dropped too, so CRLF files read like LF files). Pure: no I/O, no clock of
// its own, so it is unit-tested and fuzzed (tests/fuzz/fuzz_line_assembler).
//
// Memory is bounded whatever the input: of the line being assembled only its
// first max_line_bytes + 3 raw bytes are kept (enough to decide the cut at a
// code-point boundary, see make_record); the rest is only counted. A 1 GB
// line without a newline costs max_line_bytes + 3 bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logs/log_source.hpp"

namespace outpost::logs::file {

// Limits for one feed(): stop once `out` holds max_records records or their
// text reached max_bytes (the line that crosses it is still taken whole).
struct ReadBudget {
    std::size_t max_records = 0;
    std::size_t max_bytes = 0;
    std::size_t bytes_used = 0;  // text bytes of the records added so far

    [[nodiscard]] bool exhausted(std::size_t records) const {
        return records >= max_records || bytes_used >= max_bytes;
    }
};

// One line's record from its first raw bytes and its full length (without
// the terminator): `raw_prefix` is the first min(total, max_line_bytes + 3)
// bytes. Ill-formed UTF-8 becomes U+FFFD; the text is cut at the last code
// point boundary at or below max_line_bytes, and cut_bytes counts the raw
// bytes of the line past it.
[[nodiscard]] LogRecord make_record(std::string_view raw_prefix, std::uint64_t total_bytes,
                                    std::size_t max_line_bytes, TimePoint ts);

class LineAssembler {
  public:
    explicit LineAssembler(std::size_t max_line_bytes);

    // Consumes `chunk` up to its end, or until `budget` is exhausted (then
    // the rest is not looked at: the caller reads it again later). Complete
    // lines go to `out` stamped `now`; an unterminated rest is held. Returns
    // the bytes consumed.
    std::size_t feed(std::string_view chunk, std::vector<LogRecord>& out, ReadBudget& budget,
                     TimePoint now);

    // A line has started and not ended yet.
    [[nodiscard]] bool holding() const { return line_bytes_ > 0 || pending_cr_; }
    // When the first byte of the held line was fed.
    [[nodiscard]] TimePoint holding_since() const { return since_; }
    // Raw bytes of the held line (consumed from the file, not yet returned).
    [[nodiscard]] std::uint64_t held_bytes() const { return line_bytes_ + (pending_cr_ ? 1 : 0); }

    // The held line as a record with partial = true (its continuation, if
    // any, becomes a new line); nothing held afterwards. Precondition:
    // holding().
    [[nodiscard]] LogRecord take_partial(TimePoint now);

    // Forgets the held line without a record (the file it came from is gone).
    void discard();

  private:
    void append(std::string_view bytes);
    [[nodiscard]] LogRecord finish_line(TimePoint ts, bool partial);

    std::size_t max_line_bytes_;
    std::string kept_;              // first max_line_bytes + 3 raw bytes of the line
    std::uint64_t line_bytes_ = 0;  // raw bytes of the line so far, CR pending excluded
    // The line's last byte so far was a CR: it is dropped if an LF follows,
    // and kept as part of the line otherwise.
    bool pending_cr_ = false;
    TimePoint since_{};
};

}  // namespace outpost::logs::file
