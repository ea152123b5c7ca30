#pragma once
// Where bearer tokens come from (protocol.md §2): a self-signed JWT, an
// exchange at the control plane's token endpoint, or a static file. Tokens
// live in memory only and are never logged (wrap them in log::Redacted).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/auth/identity.hpp"
#include "agent/common/error.hpp"

namespace outpost::auth {

struct Token {
    std::string value;
    std::chrono::system_clock::time_point issued_at;
    std::optional<std::chrono::system_clock::time_point> expires_at;  // none for static
};

// How a failure must be treated (§2 "Token endpoint answers").
enum class TokenFailureKind {
    unauthorized,  // 401: identity rejected → long backoff, alert
    revoked,       // 403: node revoked
    transient,     // 5xx, timeout, connection failure → normal backoff
    malformed,     // a body we cannot use → normal backoff, cause logged
    local,         // our side: unreadable token file, signing failed
};
[[nodiscard]] std::string_view to_string(TokenFailureKind kind);

struct TokenFailure {
    TokenFailureKind kind;
    std::string cause;
};

using TokenResult = std::expected<Token, TokenFailure>;
using TokenCallback = std::function<void(TokenResult)>;

class TokenProvider {
  public:
    virtual ~TokenProvider() = default;
    // Obtains a token and calls `done` exactly once, possibly before returning.
    virtual void fetch(TokenCallback done) = 0;
};

// The transport implements this (an HTTPS POST of a JSON body), so auth does
// not depend on libwebsockets.
struct HttpReply {
    int status = 0;
    std::string body;
};
using HttpPostFn = std::function<void(const std::string& url, std::string json_body,
                                      std::function<void(Expected<HttpReply>)> done)>;
using WallClock = std::function<std::chrono::system_clock::time_point()>;

// Longest token we accept from anywhere: it goes into an HTTP header.
inline constexpr std::size_t kMaxTokenBytes = 8192;

// A token must be 1..kMaxTokenBytes of visible ASCII (no spaces, no CR/LF that
// could forge a header). The error says what was wrong, never the token.
[[nodiscard]] Expected<void> check_token_syntax(std::string_view token);

// Turns the token endpoint's answer into a token or a classified failure.
[[nodiscard]] TokenResult parse_exchange_reply(const HttpReply& reply,
                                               std::chrono::system_clock::time_point now);

// `identity` must outlive the provider.
[[nodiscard]] std::unique_ptr<TokenProvider> make_jwt_provider(const Identity& identity,
                                                               std::string audience,
                                                               std::chrono::seconds ttl,
                                                               WallClock clock);
[[nodiscard]] std::unique_ptr<TokenProvider> make_exchange_provider(
    const Identity& identity, std::string audience, std::chrono::seconds assertion_ttl,
    std::string token_url, HttpPostFn post, WallClock clock);
[[nodiscard]] std::unique_ptr<TokenProvider> make_static_provider(std::filesystem::path token_file,
                                                                  WallClock clock);

}  // namespace outpost::auth
