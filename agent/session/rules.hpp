#pragma once
// The protocol's reaction tables as data: §1 (upgrade refused with an HTTP
// status) and §6 (close codes). The policy turns a Reaction into a delay.

#include <chrono>
#include <optional>
#include <string_view>

namespace outpost::session {

enum class Reaction {
    backoff,               // normal full-jitter backoff (§5)
    backoff_honour_retry,  // 429/503: Retry-After R plus [0, min(R, max)]; no R: backoff
    backoff_half_max,      // 4005: uniform in [max/2, max]
    backoff_rate_limited,  // 4006: 30 s plus [0, max]
    spread,                // 1001: uniform in [0, S], S the server's spread hint or `initial`
    reconnect_requested,   // 4007 / `reconnect`: after after_ms (capped at max); none: as 1001
    refresh_once,          // 401: fresh token, retry at once, once; then backoff
    refresh_now,           // 4001: fresh token, reconnect at once, once per 10 s
    revoked,               // 403 / 4003
    incompatible,          // 426 / 400 / 4004
};

[[nodiscard]] std::string_view to_string(Reaction reaction);

// §6. Unknown codes (and 1005/1006, which never travel on the wire) back off.
[[nodiscard]] Reaction reaction_to_close(int code);

// §1, for an upgrade answered with something other than 101.
[[nodiscard]] Reaction reaction_to_upgrade_status(int http_status);

// Retry-After in its delta-seconds form ("120"). The HTTP-date form and
// anything malformed give nullopt (the caller then just backs off).
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace outpost::session
