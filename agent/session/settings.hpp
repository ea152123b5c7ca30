#pragma once
// Timing knobs of the connection policy. Defaults are the protocol's (§3.1,
// §5, §6); initial, max, revoked_interval and incompatible_interval come from
// the `reconnect.*` config keys, the rest are protocol constants kept here so
// tests can see them.

#include <chrono>

#include "agent/common/error.hpp"

namespace outpost::session {

struct ReconnectSettings {
    using ms = std::chrono::milliseconds;

    ms initial{1000};                          // reconnect.initial
    ms max{60000};                             // reconnect.max
    ms revoked_interval{15 * 60 * 1000};       // reconnect.revoked_interval (also `unauthorized`)
    ms incompatible_interval{15 * 60 * 1000};  // reconnect.incompatible_interval
    ms welcome_timeout{10000};                 // §3.1: no welcome within 10 s
    ms stable_after{60000};                    // §5: attempt counter resets after 60 s up
    ms min_4001_interval{10000};               // §2.1: 4001 reconnects at most once per 10 s
    ms rate_limited_min{30000};                // §6 4006: 30 s plus a draw in [0, max]
    // Our choice: a Retry-After larger than this is clamped so a broken header
    // cannot park the agent for days (§5: it never stops trying).
    ms retry_after_cap{60 * 60 * 1000};
    // §7: server.poll_url is set, so an upgrade answered with a status no
    // outpost server sends a healthy agent (400, 426, 200, 404...) is a
    // failed upgrade with the normal backoff, not `incompatible`.
    bool poll_fallback = false;
};

// Checks the relations the policy relies on (all positive, initial <= max).
[[nodiscard]] Expected<void> validate(const ReconnectSettings& settings);

}  // namespace outpost::session
