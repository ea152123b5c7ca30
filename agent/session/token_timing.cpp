#include "agent/session/token_timing.hpp"

namespace outpost::session {

using std::chrono::system_clock;

system_clock::time_point refresh_point(const TokenLifetime& token) {
    const auto life = token.expires_at - token.issued_at;
    if (life <= system_clock::duration::zero()) return system_clock::time_point::min();
    // life / 5 * 4 would lose up to 4 ticks; life - life / 5 cannot overflow.
    return token.issued_at + (life - life / 5);
}

bool in_refresh_window(const TokenLifetime& token, system_clock::time_point now) {
    return now >= refresh_point(token);
}

bool reauth_due(TokenMode mode, const std::optional<TokenLifetime>& token,
                system_clock::time_point now) {
    if (mode == TokenMode::static_token || !token) return false;
    return in_refresh_window(*token, now);
}

bool needs_fresh_token(TokenMode mode, const std::optional<TokenLifetime>& token, bool forced,
                       system_clock::time_point now) {
    switch (mode) {
        case TokenMode::jwt:
        case TokenMode::static_token:
            return true;
        case TokenMode::exchange:
            return forced || !token || in_refresh_window(*token, now);
    }
    return true;
}

}  // namespace outpost::session
