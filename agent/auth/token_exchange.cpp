// auth.mode: exchange — trade our self-signed JWT for an access token at
// auth.token_url (protocol.md §2, RFC 7523 grant type).
#include <memory>

#include "agent/auth/jwt.hpp"
#include "agent/auth/token_provider.hpp"
#include "agent/common/json/json_reader.hpp"

namespace outpost::auth {
namespace {

constexpr std::int64_t kMaxExpiresIn = 7 * 24 * 3600;  // beyond a week is a server bug

TokenResult failure(TokenFailureKind kind, std::string cause) {
    return std::unexpected(TokenFailure{kind, std::move(cause)});
}

class ExchangeProvider final : public TokenProvider {
  public:
    ExchangeProvider(const Identity& identity, std::string audience, std::chrono::seconds ttl,
                     std::string url, HttpPostFn post, WallClock clock)
        : identity_(identity),
          audience_(std::move(audience)),
          ttl_(ttl),
          url_(std::move(url)),
          post_(std::move(post)),
          clock_(std::move(clock)) {}

    void fetch(TokenCallback done) override {
        auto assertion = mint_jwt(identity_, audience_, clock_(), ttl_);
        if (!assertion) {
            done(failure(TokenFailureKind::local,
                         assertion.error().context("signing the assertion").message()));
            return;
        }
        // A compact JWS is base64url and dots only, so it needs no escaping.
        std::string body =
            R"({"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":")" +
            assertion->token + "\"}";
        // Captures copies, not `this`: the reply may outlive the provider.
        post_(url_, std::move(body),
              [clock = clock_, done = std::move(done)](Expected<HttpReply> reply) {
                  if (!reply) {
                      done(failure(TokenFailureKind::transient,
                                   reply.error().context("token endpoint").message()));
                      return;
                  }
                  done(parse_exchange_reply(*reply, clock()));
              });
    }

  private:
    const Identity& identity_;
    std::string audience_;
    std::chrono::seconds ttl_;
    std::string url_;
    HttpPostFn post_;
    WallClock clock_;
};

}  // namespace

TokenResult parse_exchange_reply(const HttpReply& reply,
                                 std::chrono::system_clock::time_point now) {
    std::string status = "token endpoint answered HTTP " + std::to_string(reply.status);
    if (reply.status == 401) return failure(TokenFailureKind::unauthorized, status);
    if (reply.status == 403) return failure(TokenFailureKind::revoked, status);
    if (reply.status != 200) return failure(TokenFailureKind::transient, status);

    const auto document = json::Document::parse(reply.body);
    if (!document) {
        return failure(TokenFailureKind::malformed,
                       "token endpoint body is not JSON: " + document.error().message());
    }
    // A member of the root, when the root is an object.
    const auto root = document->root().object();
    const auto member = [&](std::string_view key) -> std::optional<json::Value> {
        return root ? root->find(key) : std::nullopt;
    };
    const auto token_value = member("access_token");
    const auto token_text = token_value ? token_value->string() : std::nullopt;
    if (!token_text) {
        return failure(TokenFailureKind::malformed,
                       "token endpoint body has no string \"access_token\"");
    }
    const std::string_view access_token = *token_text;
    // Any JSON number: a service computing it from a duration may send 300.0.
    // Rounded down; a fraction of a second is never worth a token.
    std::int64_t expires_in = 0;
    const auto expires_value = member("expires_in");
    if (const auto integer = expires_value ? expires_value->int64() : std::nullopt) {
        expires_in = *integer;
    } else if (const auto seconds = expires_value ? expires_value->number() : std::nullopt) {
        expires_in = *seconds >= 1 && *seconds <= static_cast<double>(kMaxExpiresIn)
                         ? static_cast<std::int64_t>(*seconds)
                         : (*seconds < 1 ? 0 : kMaxExpiresIn + 1);
    } else {
        return failure(TokenFailureKind::malformed,
                       "token endpoint body has no number \"expires_in\"");
    }
    if (expires_in <= 0 || expires_in > kMaxExpiresIn) {
        return failure(TokenFailureKind::malformed,
                       "token endpoint \"expires_in\" " + std::to_string(expires_in) +
                           " is outside 1.." + std::to_string(kMaxExpiresIn));
    }
    if (auto ok = check_token_syntax(access_token); !ok) {
        return failure(TokenFailureKind::malformed,
                       ok.error().context("token endpoint \"access_token\"").message());
    }
    return Token{std::string(access_token), now, now + std::chrono::seconds(expires_in)};
}

std::unique_ptr<TokenProvider> make_exchange_provider(const Identity& identity,
                                                      std::string audience,
                                                      std::chrono::seconds assertion_ttl,
                                                      std::string token_url, HttpPostFn post,
                                                      WallClock clock) {
    return std::make_unique<ExchangeProvider>(identity, std::move(audience), assertion_ttl,
                                              std::move(token_url), std::move(post),
                                              std::move(clock));
}

}  // namespace outpost::auth
