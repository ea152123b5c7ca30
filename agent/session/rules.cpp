#include "agent/session/rules.hpp"

#include <charconv>
#include <cstdint>

namespace outpost::session {

std::string_view to_string(Reaction reaction) {
    switch (reaction) {
        case Reaction::backoff:
            return "backoff";
        case Reaction::backoff_honour_retry:
            return "backoff_honour_retry";
        case Reaction::backoff_half_max:
            return "backoff_half_max";
        case Reaction::backoff_rate_limited:
            return "backoff_rate_limited";
        case Reaction::spread:
            return "spread";
        case Reaction::reconnect_requested:
            return "reconnect_requested";
        case Reaction::refresh_once:
            return "refresh_once";
        case Reaction::refresh_now:
            return "refresh_now";
        case Reaction::revoked:
            return "revoked";
        case Reaction::incompatible:
            return "incompatible";
    }
    return "unknown";
}

Reaction reaction_to_close(int code) {
    switch (code) {
        case 1001:
            return Reaction::spread;
        case 4001:
            return Reaction::refresh_now;
        case 4003:
            return Reaction::revoked;
        case 4004:
            return Reaction::incompatible;
        case 4005:
            return Reaction::backoff_half_max;
        case 4006:
            return Reaction::backoff_rate_limited;
        case 4007:
            return Reaction::reconnect_requested;
        // 1000, 1008, 1009, 1011, 4000, 4002 and anything unknown.
        default:
            return Reaction::backoff;
    }
}

Reaction reaction_to_upgrade_status(int http_status) {
    switch (http_status) {
        case 401:
            return Reaction::refresh_once;
        case 403:
            return Reaction::revoked;
        // §1 says "426 or 400 with no acceptable subprotocol"; the status is
        // all the transport can see, so every 400 counts as a mismatch.
        case 400:
        case 426:
            return Reaction::incompatible;
        case 429:
        case 503:
            return Reaction::backoff_honour_retry;
        default:
            return Reaction::backoff;
    }
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    std::uint32_t seconds = 0;  // RFC 9110 delta-seconds: 1*DIGIT, no sign
    const auto* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
    if (ptr != end) return std::nullopt;
    // Out of range for 32 bits: "a very long time"; the policy caps it anyway.
    if (ec == std::errc::result_out_of_range) return std::chrono::seconds{UINT32_MAX};
    if (ec != std::errc{}) return std::nullopt;
    return std::chrono::seconds{seconds};
}

}  // namespace outpost::session
