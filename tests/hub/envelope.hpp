#pragma once
// The envelope of every hub → agent message (protocol.md §3).

#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::hub {

// A random UUID v4, the hub's message ids.
[[nodiscard]] std::string new_uuid();
// Current time as RFC 3339 UTC with milliseconds: 2026-11-22T10:00:00.123Z.
[[nodiscard]] std::string rfc3339_now();
// Seconds since the epoch.
[[nodiscard]] int64_t unix_now();

struct Envelope {
    std::string id;
    std::string text;  // {"type":..,"id":..,"ts":..,"data":..}
};

// `data_json` must be valid JSON text (normally an object).
[[nodiscard]] Envelope make_envelope(std::string_view type, std::string_view data_json);

}  // namespace outpost::hub
