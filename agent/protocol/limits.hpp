#pragma once
// Protocol-level bounds (docs/protocol-notes.md explains each choice). Policy
// (the allow-list) may impose tighter ones.

#include <cstddef>
#include <cstdint>

namespace outpost::protocol::limits {

inline constexpr std::size_t kDefaultMaxMessageBytes = 1024 * 1024;
inline constexpr int kMaxDepth = 32;  // the top-level object is depth 1

inline constexpr std::size_t kMaxIdLength = 128;  // request_id, stream_id, envelope id

inline constexpr std::uint64_t kMaxTimeoutMs = 86'400'000;  // 24 h
inline constexpr std::uint64_t kMaxAfterMs = 86'400'000;    // 24 h
inline constexpr std::uint64_t kMinHeartbeatS = 1;
inline constexpr std::uint64_t kMaxHeartbeatS = 3600;
inline constexpr std::uint64_t kMinTelemetryS = 1;
inline constexpr std::uint64_t kMaxTelemetryS = 86'400;
inline constexpr std::uint64_t kMaxStreamLines = 100'000;

}  // namespace outpost::protocol::limits
