#include <catch2/catch.hpp>

#include "agent/transport/spki_pin.hpp"

using namespace outpost::transport;

TEST_CASE("pins round-trip through base64") {
    SpkiPin pin{};
    for (size_t i = 0; i < pin.size(); ++i) pin[i] = static_cast<uint8_t>(i * 7 + 250);
    const std::string text = format_pin(pin);
    CHECK(text.size() == 44);
    CHECK(text.back() == '=');
    auto parsed = parse_pin(text);
    REQUIRE(parsed);
    CHECK(*parsed == pin);
}

TEST_CASE("pins are SHA-256 of the DER SPKI") {
    // SHA-256("abc"), a known vector, in base64.
    const std::string abc = "abc";
    const auto digest = spki_sha256({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()});
    CHECK(format_pin(digest) == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    CHECK(pin_matches(digest, {SpkiPin{}, digest}));
    CHECK_FALSE(pin_matches(digest, {SpkiPin{}}));
}

TEST_CASE("parse_pin accepts base64url and rejects bad input") {
    auto url_form = parse_pin("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    REQUIRE(url_form);
    CHECK(format_pin(*url_form) == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    CHECK_FALSE(parse_pin(""));
    CHECK_FALSE(parse_pin("short"));
    CHECK_FALSE(parse_pin("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0AAAA"));
    CHECK_FALSE(parse_pin("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIA!a0="));
}
