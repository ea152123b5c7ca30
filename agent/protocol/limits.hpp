#pragma once
// Protocol-level bounds (docs/protocol-notes.md explains each choice). Policy
// (the allow-list) may impose tighter ones.

#include <cstddef>
#include <cstdint>

namespace outpost::protocol::limits {

inline constexpr std::size_t kDefaultMaxMessageBytes = 1024 * 1024;
inline constexpr int kMaxDepth = 32;  // the top-level object is depth 1

inline constexpr std::size_t kMaxIdLength = 128;  // request_id, stream_id, envelope id

// execute.timeout_ms: any integer JSON carries exactly (2^53 - 1); whether it
// is allowed is the allow-list entry's decision (1..max_timeout), so a value
// out of range is a policy rejection with a result, not a schema error.
inline constexpr std::uint64_t kMaxTimeoutMs = 9'007'199'254'740'991;
inline constexpr std::uint64_t kMaxAfterMs = 86'400'000;  // 24 h
inline constexpr std::uint64_t kMinHeartbeatS = 1;
inline constexpr std::uint64_t kMaxHeartbeatS = 3600;
inline constexpr std::uint64_t kMinTelemetryS = 1;
inline constexpr std::uint64_t kMaxTelemetryS = 86'400;
inline constexpr std::uint64_t kMaxReconnectSpreadS = 3600;  // §3.1 welcome.reconnect_spread_s
// stream_logs.lines: any count that fits the field. §3.3 asks for "the last
// `lines` lines (fewer if the source has fewer)", so a larger request (a
// server asking for "all") is capped by the stream manager at
// logs.max_history_lines, not refused.
inline constexpr std::uint64_t kMaxStreamLines = 0xFFFF'FFFF;

}  // namespace outpost::protocol::limits
