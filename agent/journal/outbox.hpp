#pragma once
// Types of the durable outbox (protocol §3.4): telemetry, alert, health and
// status messages kept while disconnected. Command results never go here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/journal/command.hpp"

namespace outpost::journal {

enum class OutboxKind { telemetry, alert, health, status };

[[nodiscard]] std::string_view to_string(OutboxKind kind);
[[nodiscard]] std::optional<OutboxKind> parse_outbox_kind(std::string_view text);

struct OutboxLimits {
    std::uint64_t max_messages = 10'000;         // outbox.max_messages
    std::uint64_t max_bytes = 16 * 1024 * 1024;  // outbox.max_bytes (payload bytes)
};

struct OutboxMessage {
    std::int64_t id = 0;  // grows with every enqueue; never reused
    OutboxKind kind = OutboxKind::telemetry;
    std::string payload_json;
    TimePoint enqueued_at;
};

// What one enqueue did to make room.
struct EnqueueReport {
    std::optional<std::int64_t> id;  // none: the new telemetry sample itself was dropped
    std::uint64_t dropped_telemetry = 0;
    std::uint64_t dropped_other = 0;  // alerts/health/status lost: log them loudly
};

// Drops since the journal was created: running totals, kept across
// restarts and never reset (protocol.md §3.4).
struct OutboxDropped {
    std::uint64_t telemetry = 0;
    std::uint64_t other = 0;
    [[nodiscard]] std::uint64_t total() const { return telemetry + other; }
};

}  // namespace outpost::journal
