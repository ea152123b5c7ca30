// §2 / §2.1 token refresh timing.
#include <catch2/catch.hpp>

#include "agent/session/token_timing.hpp"

using namespace outpost::session;
using namespace std::chrono_literals;
using std::chrono::system_clock;

namespace {

const system_clock::time_point t0{std::chrono::seconds{1795000000}};
const TokenLifetime hundred_seconds{t0, t0 + 100s};

}  // namespace

TEST_CASE("refresh point is at 80 % of the life") {
    CHECK(refresh_point(hundred_seconds) == t0 + 80s);
    CHECK(refresh_point(TokenLifetime{t0, t0 + 3600s}) == t0 + 2880s);
    CHECK(refresh_point(TokenLifetime{t0, t0 + 300s}) == t0 + 240s);
}

TEST_CASE("refresh window opens exactly at 80 %") {
    CHECK_FALSE(in_refresh_window(hundred_seconds, t0 + 79999ms));
    CHECK(in_refresh_window(hundred_seconds, t0 + 80s));
    CHECK(in_refresh_window(hundred_seconds, t0 + 100s));
    CHECK(in_refresh_window(hundred_seconds, t0 + 1h));  // expired
}

TEST_CASE("a token with no or negative life is always due") {
    CHECK(in_refresh_window(TokenLifetime{t0, t0}, t0));
    CHECK(in_refresh_window(TokenLifetime{t0, t0 - 5s}, t0 - 10s));
}

TEST_CASE("reauth_due: jwt and exchange at 80 %, static never") {
    CHECK_FALSE(reauth_due(TokenMode::jwt, hundred_seconds, t0 + 79s));
    CHECK(reauth_due(TokenMode::jwt, hundred_seconds, t0 + 80s));
    CHECK(reauth_due(TokenMode::exchange, hundred_seconds, t0 + 80s));
    CHECK_FALSE(reauth_due(TokenMode::static_token, hundred_seconds, t0 + 99s));
    CHECK_FALSE(reauth_due(TokenMode::jwt, std::nullopt, t0 + 99s));
}

TEST_CASE("needs_fresh_token before an attempt") {
    // jwt signs a new token per attempt; static re-reads its file per attempt.
    CHECK(needs_fresh_token(TokenMode::jwt, hundred_seconds, false, t0));
    CHECK(needs_fresh_token(TokenMode::static_token, std::nullopt, false, t0));
    // exchange: only without a token, when rejected, or with < 20 % life left.
    CHECK(needs_fresh_token(TokenMode::exchange, std::nullopt, false, t0));
    CHECK_FALSE(needs_fresh_token(TokenMode::exchange, hundred_seconds, false, t0 + 79s));
    CHECK(needs_fresh_token(TokenMode::exchange, hundred_seconds, true, t0 + 1s));
    CHECK(needs_fresh_token(TokenMode::exchange, hundred_seconds, false, t0 + 81s));
}
