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

    enum class ReadStatus { again, eof, error };
    // Reads a non-blocking fd until it would block, hits EOF or fails.
    ReadStatus read_from(int fd);

    [[nodiscard]] const std::string& data() const { return data_; }
    [[nodiscard]] std::string take() { return std::move(data_); }
    [[nodiscard]] bool truncated() const { return dropped_ > 0; }
    [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

private:
    std::size_t cap_;
    std::string data_;
    std::uint64_t dropped_ = 0;
};

}  // namespace outpost::executors
