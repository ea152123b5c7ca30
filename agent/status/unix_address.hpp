#pragma once
// The sockaddr_un of a status socket path; nullopt when the path does not
// fit (sun_path holds 107 bytes and the terminating NUL).

#include <sys/un.h>

#include <cstring>
#include <optional>
#include <string_view>

namespace outpost::status {

inline constexpr std::size_t kMaxSocketPathBytes = sizeof(sockaddr_un::sun_path) - 1;

[[nodiscard]] inline std::optional<sockaddr_un> unix_address(std::string_view path) {
    if (path.empty() || path.size() > kMaxSocketPathBytes) return std::nullopt;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());  // zero-filled: NUL-terminated
    return address;
}

}  // namespace outpost::status
