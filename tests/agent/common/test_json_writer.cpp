#include <limits>
#include <string>
#include <vector>

#include <simdjson.h>
#include <catch2/catch.hpp>

#include "agent/common/json/json_writer.hpp"

using outpost::json::append_json_string;
using outpost::json::JsonWriter;

namespace {

std::string json_quoted(std::string_view raw) {
    std::string out;
    append_json_string(out, raw);
    return out;
}

// The string the JSON text decodes to, per simdjson (which validates UTF-8).
std::string decoded(const std::string& json) {
    simdjson::dom::parser parser;
    std::string_view value;
    REQUIRE(parser.parse(json).get_string().get(value) == simdjson::SUCCESS);
    return std::string(value);
}

}  // namespace

TEST_CASE("json string escaping: quotes, backslash, short escapes") {
    CHECK(json_quoted("plain") == R"("plain")");
    CHECK(json_quoted("a\"b") == R"("a\"b")");
    CHECK(json_quoted("a\\b") == R"("a\\b")");
    CHECK(json_quoted("\b\f\n\r\t") == R"("\b\f\n\r\t")");
    CHECK(json_quoted("/") == R"("/")");
    CHECK(json_quoted("") == R"("")");
}

TEST_CASE("json string escaping: every control character below 0x20") {
    for (int c = 0; c < 0x20; ++c) {
        INFO("byte " << c);
        const std::string raw(1, static_cast<char>(c));
        const std::string json = json_quoted(raw);
        for (const char byte : json) {
            CHECK(static_cast<unsigned char>(byte) >= 0x20);
        }
        CHECK(decoded(json) == raw);
    }
    CHECK(json_quoted(std::string("\x00", 1)) == R"("\u0000")");
    CHECK(json_quoted("\x1f") == R"("\u001f")");
    CHECK(json_quoted("\x7f") == "\"\x7f\"");  // DEL needs no escape
}

TEST_CASE("json string escaping: valid UTF-8 passes through") {
    const std::string text =
        "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF \xF4\x8F\xBF\xBF";
    CHECK(json_quoted(text) == "\"" + text + "\"");
    CHECK(decoded(json_quoted(text)) == text);
}

TEST_CASE("json string escaping: invalid UTF-8 becomes U+FFFD") {
    const std::string fffd = "\xEF\xBF\xBD";
    struct Row {
        const char* name;
        std::string raw;
        std::string expected;
    };
    const std::vector<Row> rows{
        {"lone continuation", "a\x80z", "a" + fffd + "z"},
        {"overlong 2-byte C0", "\xC0\xAF", fffd + fffd},
        {"overlong 2-byte C1", "\xC1\xBF", fffd + fffd},
        {"overlong 3-byte", "\xE0\x80\xAF", fffd + fffd + fffd},
        {"overlong 4-byte", "\xF0\x80\x80\xAF", fffd + fffd + fffd + fffd},
        {"surrogate high", "\xED\xA0\x80", fffd + fffd + fffd},
        {"surrogate low", "\xED\xBF\xBF", fffd + fffd + fffd},
        {"above U+10FFFF", "\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},
        {"F5 lead", "\xF5\x80\x80\x80", fffd + fffd + fffd + fffd},
        {"FF byte", "x\xFFy", "x" + fffd + "y"},
        {"truncated 2-byte at end", "ab\xC3", "ab" + fffd},
        {"truncated 3-byte at end", "ab\xE2\x82", "ab" + fffd},
        {"truncated 4-byte at end", "\xF0\x9F\x98", fffd},
        {"truncated 3-byte mid", "\xE2\x82z", fffd + "z"},
        {"truncated then quote", "\xE2\"", fffd + "\\\""},
        {"truncated then valid", "\xF0\x9F\xC3\xA9", fffd + "\xC3\xA9"},
    };
    for (const Row& row : rows) {
        INFO(row.name);
        const std::string json = json_quoted(row.raw);
        CHECK(json == "\"" + row.expected + "\"");
        CHECK(decoded(json) == decoded("\"" + row.expected + "\""));
    }
}

TEST_CASE("json writer: structure, commas and scalars") {
    JsonWriter out;
    out.begin_object()
        .member("s", "x")
        .member("i", std::int64_t{-5})
        .member("u", std::uint64_t{18446744073709551615ULL})
        .member("d", 0.5)
        .member("b", true)
        .key("n")
        .null()
        .key("a")
        .begin_array()
        .number(1)
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .string("z")
        .end_array()
        .key("r")
        .raw(R"({"k":[1]})")
        .end_object();
    CHECK(
        out.str() ==
        R"({"s":"x","i":-5,"u":18446744073709551615,"d":0.5,"b":true,"n":null,"a":[1,{},[],"z"],"r":{"k":[1]}})");
}

TEST_CASE("json writer: non-finite doubles are null, finite ones round-trip") {
    JsonWriter out;
    out.begin_array()
        .number(std::numeric_limits<double>::infinity())
        .number(std::numeric_limits<double>::quiet_NaN())
        .number(1e300)
        .number(-0.1)
        .number(3.0)
        .end_array();
    simdjson::dom::parser parser;
    simdjson::dom::array array;
    REQUIRE(parser.parse(out.str()).get_array().get(array) == simdjson::SUCCESS);
    CHECK(array.at(0).is_null());
    CHECK(array.at(1).is_null());
    CHECK(array.at(2).get_double().value() == 1e300);
    CHECK(array.at(3).get_double().value() == -0.1);
    CHECK(array.at(4).get_double().value() == 3.0);
}

TEST_CASE("json writer: keys are escaped too") {
    JsonWriter out;
    out.begin_object().member("a\"\n\xFF", 1).end_object();
    CHECK(out.str() == "{\"a\\\"\\n\xEF\xBF\xBD\":1}");
}

TEST_CASE("json_string_prefix_fitting: the longest prefix whose escaped form fits the budget") {
    using outpost::json::json_string_prefix_fitting;
    CHECK(json_string_prefix_fitting("abc", 3) == 3);
    CHECK(json_string_prefix_fitting("abc", 2) == 2);
    CHECK(json_string_prefix_fitting(std::string_view("\0\0", 2), 11) == 1);  // \u0000 is 6
    CHECK(json_string_prefix_fitting("a\"b", 2) == 1);                        // \" is 2
    CHECK(json_string_prefix_fitting("\xE2\x82\xAC", 2) == 0);  // never half a character
    CHECK(json_string_prefix_fitting("\xFF"
                                     "a",
                                     3) == 1);  // U+FFFD is 3

    // Against the writer itself, on random bytes and budgets: the prefix's
    // escaped form fits; and with ASCII only (one byte per step), one byte
    // more would not.
    std::uint32_t seed = 12345;
    const auto next = [&seed] {
        seed = seed * 1664525U + 1013904223U;
        return seed >> 8;
    };
    for (int round = 0; round < 600; ++round) {
        const bool ascii = round % 2 == 0;
        std::string text(next() % 64, '\0');
        for (char& c : text) c = static_cast<char>(next() & (ascii ? 0x7F : 0xFF));
        const std::size_t budget = next() % 200;
        const std::size_t keep = json_string_prefix_fitting(text, budget);
        REQUIRE(keep <= text.size());
        CHECK(json_quoted(text.substr(0, keep)).size() - 2 <= budget);
        if (ascii && keep < text.size())
            CHECK(json_quoted(text.substr(0, keep + 1)).size() - 2 > budget);
    }
}
