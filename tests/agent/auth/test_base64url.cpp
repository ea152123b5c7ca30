#include <catch2/catch.hpp>

#include <array>

#include "agent/auth/base64url.hpp"
#include "bytes.hpp"

using namespace outpost::auth;
using outpost::auth::test::bytes_of;
using outpost::auth::test::string_of;

namespace {

struct Vector {
    const char* plain;
    const char* padded;
    const char* unpadded;
};

// RFC 4648 §10.
constexpr std::array<Vector, 7> kRfc4648{{
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
}};

}  // namespace

TEST_CASE("base64url and base64 follow the RFC 4648 test vectors", "[base64]") {
    for (const auto& v : kRfc4648) {
        INFO("plain: " << v.plain);
        CHECK(base64url_encode(std::string_view(v.plain)) == v.unpadded);
        CHECK(base64_encode(bytes_of(v.plain)) == v.padded);
        auto url = base64url_decode(v.unpadded);
        REQUIRE(url);
        CHECK(string_of(*url) == v.plain);
        auto standard = base64_decode(v.padded);
        REQUIRE(standard);
        CHECK(string_of(*standard) == v.plain);
    }
}

TEST_CASE("the two alphabets differ only in 62 and 63", "[base64]") {
    const std::vector<std::uint8_t> bytes{0xfb, 0xff};
    CHECK(base64url_encode(bytes) == "-_8");
    CHECK(base64_encode(bytes) == "+/8=");
    CHECK(base64url_decode("-_8").value() == bytes);
    CHECK(base64_decode("+/8=").value() == bytes);
    CHECK_FALSE(base64url_decode("+/8"));
    CHECK_FALSE(base64_decode("-_8="));
}

TEST_CASE("all byte values round-trip", "[base64]") {
    std::vector<std::uint8_t> all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        const std::vector<std::uint8_t> part(all.begin(), all.begin() + static_cast<long>(n));
        CHECK(base64url_decode(base64url_encode(part)).value() == part);
        CHECK(base64_decode(base64_encode(part)).value() == part);
    }
}

TEST_CASE("base64url decoding is strict", "[base64]") {
    CHECK_FALSE(base64url_decode("Zg=="));  // padding is not allowed
    CHECK_FALSE(base64url_decode("Zg="));
    CHECK_FALSE(base64url_decode("Z"));  // 4n+1 characters cannot occur
    CHECK_FALSE(base64url_decode("Zm9vY"));
    CHECK_FALSE(base64url_decode("Zh"));   // non-zero trailing bits
    CHECK_FALSE(base64url_decode("Zm9"));  // "Zm8" is the canonical form
    CHECK_FALSE(base64url_decode(" Zg"));  // no whitespace
    CHECK_FALSE(base64url_decode("Zm9v\n"));
    CHECK_FALSE(base64url_decode("Zm.v"));
    CHECK_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
    CHECK_FALSE(base64url_decode("Zm9v\xc3\xa9"));
    auto error = base64url_decode("Zg==");
    REQUIRE_FALSE(error);
    CHECK_THAT(error.error().message(), Catch::Contains("padding"));
}

TEST_CASE("standard base64 decoding is strict", "[base64]") {
    CHECK_FALSE(base64_decode("Zg"));  // padding is required
    CHECK_FALSE(base64_decode("Zg="));
    CHECK_FALSE(base64_decode("Zg=a"));  // '=' only at the end
    CHECK_FALSE(base64_decode("Z==="));  // at most two '='
    CHECK_FALSE(base64_decode("===="));
    CHECK_FALSE(base64_decode("Zh=="));  // non-zero trailing bits
    CHECK_FALSE(base64_decode("Zm9="));
    CHECK_FALSE(base64_decode("Zm9v Zg=="));
    // A SHA-256 pin is 32 bytes, 44 characters.
    std::vector<std::uint8_t> digest(32, 0xab);
    const std::string pin = base64_encode(digest);
    CHECK(pin.size() == 44);
    CHECK(base64_decode(pin).value() == digest);
}

TEST_CASE("base64url_decode_into writes into a caller buffer", "[base64]") {
    std::array<std::uint8_t, 6> out{};
    auto n = base64url_decode_into("Zm9vYmFy", out);
    REQUIRE(n);
    CHECK(*n == 6);
    CHECK(std::string(out.begin(), out.end()) == "foobar");
    std::array<std::uint8_t, 5> small{};
    CHECK_FALSE(base64url_decode_into("Zm9vYmFy", small));
    auto partial = base64url_decode_into("Zm8", out);
    REQUIRE(partial);
    CHECK(*partial == 2);
}
