#include <catch2/catch.hpp>

#include "agent/auth/base64url.hpp"
#include "agent/auth/jws.hpp"
#include "bytes.hpp"

using namespace outpost::auth;
using outpost::auth::test::string_of;

namespace {

struct KeyPair {
    SecretKey secret;
    PublicKey public_key;
};

KeyPair make_key() {
    auto key = SecretKey::generate();
    REQUIRE(key);
    const PublicKey public_key = key->public_key();
    return {std::move(*key), public_key};
}

std::string rejection(std::string_view compact, const PublicKey& key) {
    auto result = verify_compact_jws(compact, key);
    REQUIRE_FALSE(result);
    return result.error().message();
}

}  // namespace

TEST_CASE("sign_compact_jws output verifies and returns the payload", "[jws]") {
    const KeyPair key = make_key();
    const std::string jws =
        sign_compact_jws(R"({"alg":"EdDSA","kid":"cp"})", "{\"a\":1}", key.secret);
    auto payload = verify_compact_jws(jws, key.public_key);
    REQUIRE(payload);
    CHECK(string_of(*payload) == "{\"a\":1}");
}

TEST_CASE("an empty payload is allowed by the JWS layer", "[jws]") {
    const KeyPair key = make_key();
    const std::string jws = sign_compact_jws(R"({"alg":"EdDSA"})", "", key.secret);
    auto payload = verify_compact_jws(jws, key.public_key);
    REQUIRE(payload);
    CHECK(payload->empty());
}

TEST_CASE("alg none and every other algorithm are refused", "[jws]") {
    const KeyPair key = make_key();
    // An unsecured JWS: empty signature.
    const std::string none = base64url_encode(std::string_view(R"({"alg":"none"})")) + "." +
                             base64url_encode(std::string_view("{}")) + ".";
    CHECK_FALSE(verify_compact_jws(none, key.public_key));
    // Even with a valid Ed25519 signature, the header must say EdDSA.
    for (const char* header : {R"({"alg":"none"})", R"({"alg":"HS256"})", R"({"alg":"Ed25519"})",
                               R"({"alg":"eddsa"})", R"({"alg":""})"}) {
        INFO(header);
        const std::string jws = sign_compact_jws(header, "{}", key.secret);
        CHECK_THAT(rejection(jws, key.public_key), Catch::Contains("not accepted"));
    }
}

TEST_CASE("malformed headers are refused", "[jws]") {
    const KeyPair key = make_key();
    for (const char* header :
         {R"({})", R"({"alg":5})", R"({"alg":null})", R"(["EdDSA"])", R"("EdDSA")", "not json",
          R"({"alg":"EdDSA")", R"({"alg":"EdDSA","crit":["exp"]})",
          R"({"alg":"EdDSA","alg":"none"})", R"({"alg":"none","alg":"EdDSA"})"}) {
        INFO(header);
        const std::string jws = sign_compact_jws(header, "{}", key.secret);
        CHECK_FALSE(verify_compact_jws(jws, key.public_key));
    }
}

TEST_CASE("structural problems are refused", "[jws]") {
    const KeyPair key = make_key();
    const std::string good = sign_compact_jws(R"({"alg":"EdDSA"})", "{}", key.secret);
    const std::size_t last_dot = good.rfind('.');
    const std::string input = good.substr(0, last_dot);
    const std::string signature = good.substr(last_dot + 1);

    CHECK_FALSE(verify_compact_jws("", key.public_key));
    CHECK_FALSE(verify_compact_jws("..", key.public_key));
    CHECK_FALSE(verify_compact_jws(input, key.public_key));       // two parts
    CHECK_FALSE(verify_compact_jws(good + ".", key.public_key));  // four parts
    CHECK_FALSE(verify_compact_jws(good + ".x", key.public_key));
    CHECK_FALSE(verify_compact_jws(input + ".", key.public_key));  // no signature
    CHECK_FALSE(verify_compact_jws(input + "." + signature + "=", key.public_key));
    CHECK_FALSE(verify_compact_jws(input + "." + signature.substr(1), key.public_key));
    CHECK_FALSE(verify_compact_jws(" " + good, key.public_key));
    // 63- and 65-byte signatures.
    auto raw = base64url_decode(signature).value();
    std::vector<std::uint8_t> short_sig(raw.begin(), raw.end() - 1);
    std::vector<std::uint8_t> long_sig = raw;
    long_sig.push_back(0);
    CHECK_THAT(rejection(input + "." + base64url_encode(short_sig), key.public_key),
               Catch::Contains("64"));
    CHECK_FALSE(verify_compact_jws(input + "." + base64url_encode(long_sig), key.public_key));
}

TEST_CASE("a JWS signed by another key is refused", "[jws]") {
    const KeyPair signer = make_key();
    const KeyPair other = make_key();
    const std::string jws = sign_compact_jws(R"({"alg":"EdDSA"})", "{}", signer.secret);
    CHECK_THAT(rejection(jws, other.public_key), Catch::Contains("does not verify"));
}

TEST_CASE("parse_public_key_base64url wants exactly 32 bytes", "[jws]") {
    const KeyPair key = make_key();
    auto parsed = parse_public_key_base64url(base64url_encode(key.public_key));
    REQUIRE(parsed);
    CHECK(*parsed == key.public_key);
    CHECK_FALSE(parse_public_key_base64url(""));
    CHECK_FALSE(parse_public_key_base64url(base64url_encode(std::string_view("short"))));
    CHECK_FALSE(parse_public_key_base64url(base64url_encode(key.public_key) + "AA"));
    CHECK_FALSE(parse_public_key_base64url(base64_encode(key.public_key)));  // padded
}
