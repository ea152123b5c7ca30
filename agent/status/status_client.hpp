#pragma once
// The CLI side of the status socket: connect, send the request line, read
// the one answer to EOF (status_server.hpp has the exchange).

#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace outpost::status {

// An answer larger than this is refused (the real one is a few KiB).
inline constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;

struct FetchError {
    // not_running: no socket, or nothing listening on it (a stale file).
    enum class Kind { not_running, failed } kind = Kind::failed;
    std::string message;
};

// `request`: `status` or `metrics`.
[[nodiscard]] std::expected<std::string, FetchError> fetch_answer(
    const std::filesystem::path& socket_path, std::chrono::milliseconds limit,
    std::string_view request = "status");

}  // namespace outpost::status
