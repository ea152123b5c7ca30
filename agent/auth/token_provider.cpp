#include "agent/auth/token_provider.hpp"

#include <array>

#include "agent/auth/jwt.hpp"
#include "agent/auth/private_file.hpp"

namespace outpost::auth {
namespace {

class JwtProvider final : public TokenProvider {
  public:
    JwtProvider(const Identity& identity, std::string audience, std::chrono::seconds ttl,
                WallClock clock)
        : identity_(identity),
          audience_(std::move(audience)),
          ttl_(ttl),
          clock_(std::move(clock)) {}

    void fetch(TokenCallback done) override {
        auto now = clock_();
        auto minted = mint_jwt(identity_, audience_, now, ttl_);
        if (!minted) {
            done(std::unexpected(TokenFailure{TokenFailureKind::local,
                                              minted.error().context("signing JWT").message()}));
            return;
        }
        done(Token{std::move(minted->token), now, minted->expires_at});
    }

  private:
    const Identity& identity_;
    std::string audience_;
    std::chrono::seconds ttl_;
    WallClock clock_;
};

class StaticProvider final : public TokenProvider {
  public:
    StaticProvider(std::filesystem::path path, WallClock clock)
        : path_(std::move(path)), clock_(std::move(clock)) {}

    // Re-read before every attempt (§2) so an operator can rotate the file.
    void fetch(TokenCallback done) override {
        auto text = read_small_file(path_, kMaxTokenBytes + 2, Secrecy::owner_only);
        if (!text || !*text) {
            std::string cause =
                text ? "token file " + path_.string() + " does not exist" : text.error().message();
            done(std::unexpected(TokenFailure{TokenFailureKind::local, cause}));
            return;
        }
        std::string token = std::move(**text);
        while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
        if (auto ok = check_token_syntax(token); !ok) {
            done(std::unexpected(
                TokenFailure{TokenFailureKind::local,
                             "token file " + path_.string() + ": " + ok.error().message()}));
            return;
        }
        done(Token{std::move(token), clock_(), std::nullopt});
    }

  private:
    std::filesystem::path path_;
    WallClock clock_;
};

}  // namespace

std::string_view to_string(TokenFailureKind kind) {
    static constexpr std::array<std::string_view, 5> kNames{"unauthorized", "revoked", "transient",
                                                            "malformed", "local"};
    return kNames.at(static_cast<std::size_t>(kind));
}

Expected<void> check_token_syntax(std::string_view token) {
    if (token.empty()) return fail("token is empty");
    if (token.size() > kMaxTokenBytes) {
        return fail("token is " + std::to_string(token.size()) + " bytes, more than " +
                    std::to_string(kMaxTokenBytes));
    }
    for (std::size_t i = 0; i < token.size(); ++i) {
        auto c = static_cast<unsigned char>(token[i]);
        if (c <= 0x20 || c >= 0x7f) {
            return fail("token has a byte that is not visible ASCII at offset " +
                        std::to_string(i));
        }
    }
    return {};
}

std::unique_ptr<TokenProvider> make_jwt_provider(const Identity& identity, std::string audience,
                                                 std::chrono::seconds ttl, WallClock clock) {
    return std::make_unique<JwtProvider>(identity, std::move(audience), ttl, std::move(clock));
}

std::unique_ptr<TokenProvider> make_static_provider(std::filesystem::path token_file,
                                                    WallClock clock) {
    return std::make_unique<StaticProvider>(std::move(token_file), std::move(clock));
}

}  // namespace outpost::auth
