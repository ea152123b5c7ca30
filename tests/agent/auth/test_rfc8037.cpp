// RFC 8037 Appendix A: the Ed25519 key of A.1 and the JWS of A.4/A.5.
#include <catch2/catch.hpp>

#include "agent/auth/base64url.hpp"
#include "agent/auth/jws.hpp"
#include "agent/auth/secret_key.hpp"
#include "bytes.hpp"

#include <fmt/format.h>

using namespace outpost::auth;
using outpost::auth::test::string_of;

namespace {

// A.1: the private key "d" and public key "x" of the OKP JWK. (The same key
// pair as RFC 8032 §7.1 TEST 1.)
constexpr std::string_view kD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view kX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

// A.4: protected header, payload, signing input and signature.
constexpr std::string_view kHeader = R"({"alg":"EdDSA"})";
constexpr std::string_view kPayload = "Example of Ed25519 signing";
constexpr std::string_view kSigningInput =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view kSignature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

std::string rfc_jws() {
    return std::string(kSigningInput) + "." + std::string(kSignature);
}

SecretKey rfc_key() {
    auto seed = base64url_decode(kD);
    REQUIRE(seed);
    auto key = SecretKey::from_seed(*seed);
    REQUIRE(key);
    return std::move(*key);
}

PublicKey rfc_public_key() {
    auto key = parse_public_key_base64url(kX);
    REQUIRE(key);
    return *key;
}

std::string hex(std::span<const std::uint8_t> bytes) {
    std::string out;
    for (const auto b : bytes) out += fmt::format("{:02x}", b);
    return out;
}

}  // namespace

TEST_CASE("RFC 8037 A.1: the public key derived from d is x", "[rfc8037]") {
    const SecretKey key = rfc_key();
    CHECK(base64url_encode(key.public_key()) == kX);
    // Cross-check with RFC 8032 §7.1 TEST 1 in hex.
    CHECK(hex(key.seed()) == "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    CHECK(hex(key.public_key()) ==
          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST_CASE("RFC 8037 A.4: signing gives exactly the RFC's JWS", "[rfc8037]") {
    const std::string jws = sign_compact_jws(kHeader, kPayload, rfc_key());
    CHECK(jws.substr(0, kSigningInput.size()) == kSigningInput);
    CHECK(jws == rfc_jws());
}

TEST_CASE("RFC 8037 A.5: the RFC's JWS verifies", "[rfc8037]") {
    auto payload = verify_compact_jws(rfc_jws(), rfc_public_key());
    REQUIRE(payload);
    CHECK(string_of(*payload) == kPayload);
}

TEST_CASE("RFC 8037 JWS: one changed byte breaks verification", "[rfc8037]") {
    const PublicKey key = rfc_public_key();

    SECTION("payload") {
        const std::string tampered =
            "eyJhbGciOiJFZERTQSJ9." +
            base64url_encode(std::string_view("Example of Ed25519 signinG")) + "." +
            std::string(kSignature);
        auto result = verify_compact_jws(tampered, key);
        REQUIRE_FALSE(result);
        CHECK_THAT(result.error().message(), Catch::Contains("does not verify"));
    }
    SECTION("signature") {
        for (const std::size_t index : {std::size_t{0}, std::size_t{31}, std::size_t{63}}) {
            auto signature = base64url_decode(kSignature).value();
            signature[index] ^= 0x01;
            const std::string tampered =
                std::string(kSigningInput) + "." + base64url_encode(signature);
            auto result = verify_compact_jws(tampered, key);
            REQUIRE_FALSE(result);
            CHECK_THAT(result.error().message(), Catch::Contains("does not verify"));
        }
    }
    SECTION("key") {
        PublicKey other = key;
        other[0] ^= 0x01;
        CHECK_FALSE(verify_compact_jws(rfc_jws(), other));
    }
}
