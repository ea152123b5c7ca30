#pragma once
// How many lines of the open file are known to exist past the position, for
// counting what a truncation (copytruncate) provably lost
// (docs/log-streaming.md, "copytruncate"). The source counts the newlines of
// the unread part when it hears the file grow (scan_from / add_scanned) and
// tells what it consumed; a truncation then lost exactly the newlines seen
// and not consumed. Lines written and truncated away between two looks were
// never seen: they are the race window no reader closes. Pure bookkeeping.

#include <algorithm>
#include <cstdint>

namespace outpost::logs::file {

class UnreadLines {
  public:
    // Where the next scan continues: scanning starts at the position or past
    // what was scanned before, never twice over the same bytes.
    [[nodiscard]] std::uint64_t scan_from(std::uint64_t position) const {
        return std::max(scanned_to_, position);
    }
    // [scan_from(position), end) held `newlines` newlines.
    void add_scanned(std::uint64_t position, std::uint64_t end, std::uint64_t newlines) {
        if (scanned_to_ < position) {
            scanned_to_ = position;
            newlines_ = 0;
        }
        if (end <= scanned_to_) return;
        scanned_to_ = end;
        newlines_ += newlines;
    }
    // The reader consumed up to `position`, completing `lines` lines.
    void consumed(std::uint64_t position, std::uint64_t lines) {
        if (position >= scanned_to_) {
            scanned_to_ = position;
            newlines_ = 0;
        } else {
            newlines_ -= std::min(newlines_, lines);
        }
    }
    // The file was truncated (or left): returns the lines seen and never
    // consumed, and starts over.
    [[nodiscard]] std::uint64_t take_lost() {
        const std::uint64_t lost = newlines_;
        scanned_to_ = 0;
        newlines_ = 0;
        return lost;
    }
    [[nodiscard]] std::uint64_t scanned_to() const { return scanned_to_; }

  private:
    std::uint64_t scanned_to_ = 0;
    std::uint64_t newlines_ = 0;  // in [position, scanned_to_)
};

}  // namespace outpost::logs::file
