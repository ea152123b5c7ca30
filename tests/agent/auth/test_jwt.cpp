#include <simdjson.h>
#include <catch2/catch.hpp>

#include "agent/auth/base64url.hpp"
#include "agent/auth/jws.hpp"
#include "agent/auth/jwt.hpp"
#include "agent/auth/uuid.hpp"
#include "bytes.hpp"

using namespace outpost::auth;
using namespace std::chrono_literals;
using outpost::auth::test::string_of;

namespace {

Identity make_identity(std::string node_id) {
    auto key = SecretKey::generate();
    REQUIRE(key);
    const PublicKey public_key = key->public_key();
    return Identity{std::move(node_id), public_key, std::move(*key)};
}

const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(1'700'000'000s) + 750ms;

std::string part(const std::string& token, int index) {
    std::size_t start = 0;
    for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
    const std::size_t end = token.find('.', start);
    return string_of(base64url_decode(token.substr(start, end - start)).value());
}

}  // namespace

TEST_CASE("a minted JWT has the protocol's header and claims", "[jwt]") {
    const Identity identity = make_identity("9b2f6c1e-8a4d-4f3b-9c7e-2d1a5b6c7d8e");
    auto jwt = mint_jwt(identity, "wss://hub.example.com/v1/agent", kNow, 3600s);
    REQUIRE(jwt);
    CHECK(jwt->expires_at == std::chrono::system_clock::time_point(1'700'003'600s));

    CHECK(part(jwt->token, 0) ==
          R"({"alg":"EdDSA","typ":"JWT","kid":"9b2f6c1e-8a4d-4f3b-9c7e-2d1a5b6c7d8e"})");

    auto payload = verify_compact_jws(jwt->token, identity.public_key);
    REQUIRE(payload);
    simdjson::dom::parser parser;
    const simdjson::padded_string json(string_of(*payload));
    simdjson::dom::element claims;
    REQUIRE(parser.parse(json).get(claims) == simdjson::SUCCESS);
    CHECK(std::string_view(claims["iss"].get_string().value()) == identity.node_id);
    CHECK(std::string_view(claims["sub"].get_string().value()) == identity.node_id);
    CHECK(std::string_view(claims["aud"].get_string().value()) == "wss://hub.example.com/v1/agent");
    CHECK(claims["iat"].get_int64().value() == 1'700'000'000);
    CHECK(claims["exp"].get_int64().value() == 1'700'003'600);
    CHECK(is_uuid_v4(claims["jti"].get_string().value()));
    CHECK(claims.get_object().value().size() == 6);
}

TEST_CASE("every token gets a fresh jti", "[jwt]") {
    const Identity identity = make_identity("node-1");
    auto a = mint_jwt(identity, "aud", kNow, 60s);
    auto b = mint_jwt(identity, "aud", kNow, 60s);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->token != b->token);
}

TEST_CASE("the audience is escaped as JSON", "[jwt]") {
    const Identity identity = make_identity("node-1");
    const std::string audience =
        "a\"b\\c\nd\x01"
        "e/\xc3\xa9\xf0\x9f\x9a\x80";
    auto jwt = mint_jwt(identity, audience, kNow, 60s);
    REQUIRE(jwt);
    const std::string claims = part(jwt->token, 1);
    CHECK_THAT(claims, Catch::Contains(R"("aud":"a\"b\\c\nd\u0001e/)"));
    simdjson::dom::parser parser;
    const simdjson::padded_string json(claims);
    simdjson::dom::element parsed;
    REQUIRE(parser.parse(json).get(parsed) == simdjson::SUCCESS);
    CHECK(std::string_view(parsed["aud"].get_string().value()) == audience);
}

TEST_CASE("bad JWT inputs are refused", "[jwt]") {
    const Identity identity = make_identity("node-1");
    CHECK_FALSE(mint_jwt(identity, "", kNow, 60s));
    CHECK_FALSE(mint_jwt(identity, "aud", kNow, 0s));
    CHECK_FALSE(mint_jwt(identity, "aud", kNow, -5s));
    CHECK_FALSE(mint_jwt(identity, "bad \xff utf-8", kNow, 60s));
}

TEST_CASE("a tampered JWT does not verify", "[jwt]") {
    const Identity identity = make_identity("node-1");
    auto jwt = mint_jwt(identity, "aud", kNow, 60s);
    REQUIRE(jwt);
    std::string claims = part(jwt->token, 1);
    claims.replace(claims.find("\"exp\":") + 6, 10, "1999999999");
    const std::size_t first = jwt->token.find('.');
    const std::size_t second = jwt->token.find('.', first + 1);
    const std::string tampered =
        jwt->token.substr(0, first + 1) + base64url_encode(claims) + jwt->token.substr(second);
    CHECK_FALSE(verify_compact_jws(tampered, identity.public_key));
    CHECK(verify_compact_jws(jwt->token, identity.public_key));
}
