#include <catch2/catch.hpp>

#include <simdjson.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "agent/auth/jws.hpp"
#include "agent/auth/token_provider.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace outpost::auth;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

const system_clock::time_point kNow = system_clock::time_point(seconds(1'800'000'000));
WallClock fixed_clock() {
    return [] { return kNow; };
}

using TempState = outpost::test_support::TempDir;

TokenResult fetch_now(TokenProvider& provider) {
    std::optional<TokenResult> result;
    provider.fetch([&](TokenResult r) { result = std::move(r); });
    REQUIRE(result.has_value());
    return std::move(*result);
}

TokenResult reply(int status, std::string body) {
    return parse_exchange_reply(HttpReply{status, std::move(body)}, kNow);
}

}  // namespace

TEST_CASE("exchange reply 200 gives the token and its absolute expiry") {
    auto r = reply(200, R"({"access_token":"abc.DEF-123","expires_in":120,"x":1})");
    REQUIRE(r.has_value());
    CHECK(r->value == "abc.DEF-123");
    CHECK(r->issued_at == kNow);
    CHECK(r->expires_at == kNow + seconds(120));
}

TEST_CASE("expires_in may be any JSON number, a fraction is dropped") {
    // A service computing it from a duration (timedelta.total_seconds()).
    auto r = reply(200, R"({"access_token":"t","expires_in":300.0})");
    REQUIRE(r.has_value());
    CHECK(r->expires_at == kNow + seconds(300));
    auto fraction = reply(200, R"({"access_token":"t","expires_in":59.9})");
    REQUIRE(fraction.has_value());
    CHECK(fraction->expires_at == kNow + seconds(59));
    CHECK(reply(200, R"({"access_token":"t","expires_in":0.5})").error().cause.find("outside") !=
          std::string::npos);
    CHECK(reply(200, R"({"access_token":"t","expires_in":1e300})").error().cause.find("outside") !=
          std::string::npos);
    CHECK(reply(200, R"({"access_token":"t","expires_in":-1.5})").error().cause.find("outside") !=
          std::string::npos);
}

TEST_CASE("exchange reply statuses map to the protocol's failure kinds") {
    CHECK(reply(401, "").error().kind == TokenFailureKind::unauthorized);
    CHECK(reply(403, "").error().kind == TokenFailureKind::revoked);
    CHECK(reply(500, "").error().kind == TokenFailureKind::transient);
    CHECK(reply(503, "").error().kind == TokenFailureKind::transient);
    CHECK(reply(404, "").error().kind == TokenFailureKind::transient);
    CHECK(reply(503, "").error().cause.find("503") != std::string::npos);
}

TEST_CASE("malformed exchange bodies are classified and explained without the token") {
    struct Row {
        const char* body;
        const char* cause;
    };
    const Row rows[] = {
        {"not json", "not JSON"},
        {"[]", "access_token"},
        {R"({"expires_in":60})", "access_token"},
        {R"({"access_token":5,"expires_in":60})", "access_token"},
        {R"({"access_token":"t"})", "expires_in"},
        {R"({"access_token":"t","expires_in":"60"})", "expires_in"},
        {R"({"access_token":"t","expires_in":0})", "outside"},
        {R"({"access_token":"t","expires_in":-5})", "outside"},
        {R"({"access_token":"t","expires_in":99999999999})", "outside"},
        {R"({"access_token":"","expires_in":60})", "empty"},
        {R"({"access_token":"sec ret","expires_in":60})", "visible ASCII"},
        {R"({"access_token":"secret\r\nX-Evil: 1","expires_in":60})", "visible ASCII"},
    };
    for (const Row& row : rows) {
        INFO(row.body);
        auto r = reply(200, row.body);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == TokenFailureKind::malformed);
        CHECK(r.error().cause.find(row.cause) != std::string::npos);
        CHECK(r.error().cause.find("secret") == std::string::npos);
    }
}

TEST_CASE("an oversized token is refused") {
    std::string body =
        R"({"access_token":")" + std::string(kMaxTokenBytes + 1, 'a') + R"(","expires_in":60})";
    CHECK(reply(200, body).error().kind == TokenFailureKind::malformed);
}

TEST_CASE("jwt provider mints a verifiable token that expires after the ttl") {
    TempState state;
    auto identity = load_or_create_identity(state.path(), "node-1");
    REQUIRE(identity.has_value());
    auto provider = make_jwt_provider(*identity, "wss://hub/v1/agent", seconds(600), fixed_clock());
    auto token = fetch_now(*provider);
    REQUIRE(token.has_value());
    CHECK(token->expires_at == kNow + seconds(600));
    CHECK(verify_compact_jws(token->value, identity->public_key).has_value());
}

TEST_CASE("exchange provider posts a jwt-bearer grant and parses the answer") {
    TempState state;
    auto identity = load_or_create_identity(state.path(), "node-1");
    REQUIRE(identity.has_value());
    std::string seen_url, seen_body;
    HttpPostFn post = [&](const std::string& url, std::string body,
                          std::function<void(outpost::Expected<HttpReply>)> done) {
        seen_url = url;
        seen_body = body;
        done(HttpReply{200, R"({"access_token":"opaque-1","expires_in":2})"});
    };
    auto provider = make_exchange_provider(*identity, "aud", seconds(60), "https://hub/v1/token",
                                           post, fixed_clock());
    auto token = fetch_now(*provider);
    REQUIRE(token.has_value());
    CHECK(token->value == "opaque-1");
    CHECK(token->expires_at == kNow + seconds(2));
    CHECK(seen_url == "https://hub/v1/token");

    simdjson::dom::parser parser;
    auto doc = parser.parse(seen_body);
    REQUIRE_FALSE(doc.error());
    CHECK(std::string_view(doc["grant_type"]) == "urn:ietf:params:oauth:grant-type:jwt-bearer");
    CHECK(verify_compact_jws(std::string_view(doc["assertion"]), identity->public_key));
}

TEST_CASE("exchange provider reports a failed POST as transient") {
    TempState state;
    auto identity = load_or_create_identity(state.path(), std::nullopt);
    REQUIRE(identity.has_value());
    HttpPostFn post = [](const std::string&, std::string,
                         std::function<void(outpost::Expected<HttpReply>)> done) {
        done(std::unexpected(outpost::Error("connection refused")));
    };
    auto provider =
        make_exchange_provider(*identity, "aud", seconds(60), "https://h/t", post, fixed_clock());
    auto token = fetch_now(*provider);
    REQUIRE_FALSE(token.has_value());
    CHECK(token.error().kind == TokenFailureKind::transient);
    CHECK(token.error().cause.find("connection refused") != std::string::npos);
}

TEST_CASE("static provider re-reads its private file each time") {
    TempState state;
    fs::path file = state.path() / "token";
    std::ofstream(file) << "first-token\n";
    fs::permissions(file, fs::perms(0600));
    auto provider = make_static_provider(file, fixed_clock());
    auto first = fetch_now(*provider);
    REQUIRE(first.has_value());
    CHECK(first->value == "first-token");
    CHECK_FALSE(first->expires_at.has_value());

    std::ofstream(file, std::ios::trunc) << "second-token";
    CHECK(fetch_now(*provider)->value == "second-token");
}

TEST_CASE("static provider refuses a token file others can read, an empty one and a missing one") {
    TempState state;
    fs::path file = state.path() / "token";
    std::ofstream(file) << "tok\n";
    fs::permissions(file, fs::perms(0644));
    auto provider = make_static_provider(file, fixed_clock());
    auto r = fetch_now(*provider);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == TokenFailureKind::local);
    CHECK(r.error().cause.find("token") != std::string::npos);

    fs::permissions(file, fs::perms(0600));
    std::ofstream(file, std::ios::trunc) << "\n";
    CHECK(fetch_now(*provider).error().cause.find("empty") != std::string::npos);

    auto missing = make_static_provider(state.path() / "nope", fixed_clock());
    CHECK(fetch_now(*missing).error().cause.find("does not exist") != std::string::npos);
}
