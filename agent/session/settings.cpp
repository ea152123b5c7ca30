#include "agent/session/settings.hpp"

#include <string>

namespace outpost::session {

namespace {

Expected<void> positive(std::chrono::milliseconds value, const char* name) {
    if (value.count() <= 0) {
        return fail(std::string(name) + " must be positive, got " + std::to_string(value.count()) +
                    " ms");
    }
    return {};
}

}  // namespace

Expected<void> validate(const ReconnectSettings& s) {
    const std::pair<std::chrono::milliseconds, const char*> fields[] = {
        {s.initial, "reconnect.initial"},
        {s.max, "reconnect.max"},
        {s.revoked_interval, "reconnect.revoked_interval"},
        {s.incompatible_interval, "reconnect.incompatible_interval"},
        {s.welcome_timeout, "welcome_timeout"},
        {s.stable_after, "stable_after"},
        {s.min_4001_interval, "min_4001_interval"},
        {s.rate_limited_min, "rate_limited_min"},
        {s.retry_after_cap, "retry_after_cap"},
    };
    for (const auto& [value, name] : fields) {
        if (auto ok = positive(value, name); !ok) return ok;
    }
    if (s.initial > s.max) {
        return fail("reconnect.initial (" + std::to_string(s.initial.count()) +
                    " ms) must not exceed reconnect.max (" + std::to_string(s.max.count()) +
                    " ms)");
    }
    return {};
}

}  // namespace outpost::session
