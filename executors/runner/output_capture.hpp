#pragma once
// One output stream of a run: keeps the first `cap` bytes, then reads and
// discards the rest (so the child never blocks on a full pipe), counting
// what was dropped.

#include <cstddef>
#include <cstdint>
#include <string>

namespace outpost::executors {

class OutputCapture {
  public:
    explicit OutputCapture(std::size_t cap) : cap_(cap) {}

    // again: the pipe is empty for now; more: `budget` bytes were read and
    // there may be more (a level-triggered watch calls back for it).
    enum class ReadStatus { again, more, eof, error };
    // Reads a non-blocking fd until it would block, hits EOF or fails, or
    // `budget` bytes were read. The budget keeps a stream that writers
    // refill as fast as it drains from holding the event loop for ever.
    static constexpr std::size_t kReadBudget = 256 * 1024;
    ReadStatus read_from(int fd, std::size_t budget = kReadBudget);

    [[nodiscard]] const std::string& data() const { return data_; }
    [[nodiscard]] std::string take() { return std::move(data_); }
    [[nodiscard]] bool truncated() const { return dropped_ > 0 || unread_; }
    // Output was left in the pipe unread (the last, bounded read at the end
    // of a run did not reach EOF): truncated, with an unknown amount missing.
    void note_unread() { unread_ = true; }
    [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

  private:
    std::size_t cap_;
    std::string data_;
    std::uint64_t dropped_ = 0;
    bool unread_ = false;
};

}  // namespace outpost::executors
