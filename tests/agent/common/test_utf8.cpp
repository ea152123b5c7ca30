#include <string>

#include <catch2/catch.hpp>

#include "agent/common/json/utf8.hpp"

namespace utf8 = outpost::json::utf8;

TEST_CASE("utf8::find_invalid locates the first ill-formed byte") {
    CHECK(utf8::find_invalid("") == std::string_view::npos);
    CHECK(utf8::find_invalid("ascii only") == std::string_view::npos);
    CHECK(utf8::find_invalid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == std::string_view::npos);
    CHECK(utf8::find_invalid("ab\x80") == 2);
    CHECK(utf8::find_invalid("\xC3\xA9\xED\xA0\x80") == 2);
    CHECK(utf8::find_invalid("abc\xF4\x90\x80\x80") == 3);
    CHECK(utf8::find_invalid("abc\xE2\x82") == 3);
}

TEST_CASE("utf8::sanitize replaces each maximal ill-formed subpart once") {
    const std::string fffd(utf8::kReplacement);
    CHECK(utf8::sanitize("ok") == "ok");
    CHECK(utf8::sanitize("\xE2\x82") == fffd);
    CHECK(utf8::sanitize("\xE2\x82\xE2\x82\xAC") == fffd + "\xE2\x82\xAC");
    CHECK(utf8::sanitize("\xC0\x80") == fffd + fffd);
    CHECK(utf8::sanitize(std::string("a\0b", 3)) == std::string("a\0b", 3));
}
