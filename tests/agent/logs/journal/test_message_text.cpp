// cap_message: a journal MESSAGE (any bytes) as capped, valid UTF-8.

#include <catch2/catch.hpp>

#include <string>

#include "agent/logs/journal/message_text.hpp"

using outpost::logs::cap_message;

TEST_CASE("message text: short valid text is kept whole", "[logs][journal]") {
    const auto out = cap_message("hello \xc3\xa9 world", 100);
    CHECK(out.text == "hello \xc3\xa9 world");
    CHECK(out.cut_bytes == 0);
}

TEST_CASE("message text: ill-formed bytes become U+FFFD", "[logs][journal]") {
    const auto out = cap_message(std::string("a\xff"
                                             "b\xe2\x82"
                                             "c\0d",
                                             8),
                                 100);
    CHECK(out.text == std::string("a\xEF\xBF\xBD"
                                  "b\xEF\xBF\xBD"
                                  "c\0d",
                                  11));
    CHECK(out.cut_bytes == 0);
}

TEST_CASE("message text: the cut never splits a character", "[logs][journal]") {
    // Cap 4: "abc" fits, the 4-byte emoji does not.
    const auto out = cap_message("abc\xf0\x9f\x98\x80xyz", 4);
    CHECK(out.text == "abc");
    CHECK(out.cut_bytes == 7);
    // Exactly at the cap.
    const auto exact = cap_message("abcd", 4);
    CHECK(exact.text == "abcd");
    CHECK(exact.cut_bytes == 0);
}

TEST_CASE("message text: a replacement counts its 3 bytes against the cap", "[logs][journal]") {
    // One bad byte becomes 3 bytes of U+FFFD: with cap 3, "ab" plus it do not fit.
    const auto out = cap_message(
        "ab\xff"
        "cd",
        3);
    CHECK(out.text == "ab");
    CHECK(out.cut_bytes == 3);
}

TEST_CASE("message text: empty in, empty out", "[logs][journal]") {
    const auto out = cap_message("", 256);
    CHECK(out.text.empty());
    CHECK(out.cut_bytes == 0);
}
