#pragma once
// When to fetch a token (§2, §2.1). Token lifetimes are wall-clock values:
// JWT iat/exp are Unix seconds, and an exchanged token's `expires_in` is
// turned into an absolute expiry when it is received.

#include <chrono>
#include <optional>

namespace outpost::session {

// Mirrors auth.mode; kept here so this module does not depend on config.
enum class TokenMode { jwt, exchange, static_token };

struct TokenLifetime {
    std::chrono::system_clock::time_point issued_at;
    std::chrono::system_clock::time_point expires_at;
};

// issued_at + 80 % of the lifetime: from here on the token is "within 20 % of
// its expiry". A lifetime <= 0 (a broken token) is always due.
[[nodiscard]] std::chrono::system_clock::time_point refresh_point(const TokenLifetime& token);

// True once 80 % of the life has passed (boundary included). The same rule
// serves §2.1 (re-authenticate a live connection) and §2 exchange mode
// (refresh before a reconnect when < 20 % of the life is left).
[[nodiscard]] bool in_refresh_window(const TokenLifetime& token,
                                     std::chrono::system_clock::time_point now);

// A live connection's token must be re-sent with `reauth` (§2.1). static
// tokens have no known lifetime and are never re-authenticated.
[[nodiscard]] bool reauth_due(TokenMode mode, const std::optional<TokenLifetime>& token,
                              std::chrono::system_clock::time_point now);

// Before a connection attempt: jwt signs a fresh token every time, static
// re-reads its file every time, exchange reuses its token unless there is
// none, it was rejected (`forced`), or it is in the refresh window.
[[nodiscard]] bool needs_fresh_token(TokenMode mode, const std::optional<TokenLifetime>& token,
                                     bool forced, std::chrono::system_clock::time_point now);

}  // namespace outpost::session
