#include <catch2/catch.hpp>

#include "agent/config/value_parsers.hpp"

using namespace outpost::config;
using namespace std::chrono_literals;

TEST_CASE("durations accept an integer with a unit", "[config][duration]") {
    CHECK(parse_duration("500ms").value() == 500ms);
    CHECK(parse_duration("30s").value() == 30s);
    CHECK(parse_duration("5m").value() == 5min);
    CHECK(parse_duration("1h").value() == 1h);
    CHECK(parse_duration("7d").value() == 7 * 24h);
    CHECK(parse_duration("0s").value() == 0ms);
    CHECK(parse_duration("3600s").value() == 1h);
}

TEST_CASE("durations refuse a missing unit", "[config][duration]") {
    auto result = parse_duration("30");
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message(), Catch::Contains("missing unit"));
}

TEST_CASE("durations refuse negative values", "[config][duration]") {
    auto result = parse_duration("-5s");
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message(), Catch::Contains("negative"));
}

TEST_CASE("durations refuse junk", "[config][duration]") {
    for (const char* text :
         {"", "s", "5x", "5 s", "1.5h", "+5s", "5S", "5sec", "5s ", " 5s", "0x10s", "5ms5"}) {
        INFO(text);
        CHECK_FALSE(parse_duration(text));
    }
}

TEST_CASE("durations refuse overflow", "[config][duration]") {
    CHECK_FALSE(parse_duration("99999999999999999999s"));
    CHECK_FALSE(parse_duration("9223372036854775807s"));
    CHECK_FALSE(parse_duration("106751991168d"));
    CHECK(parse_duration("106751991167d"));
    CHECK(parse_duration("9223372036854775807ms"));
}

TEST_CASE("sizes accept binary units and plain bytes", "[config][size]") {
    CHECK(parse_size("512B").value() == 512);
    CHECK(parse_size("64KiB").value() == 64 * 1024);
    CHECK(parse_size("16MiB").value() == 16ULL << 20);
    CHECK(parse_size("1GiB").value() == 1ULL << 30);
    CHECK(parse_size("2TiB").value() == 2ULL << 40);
    CHECK(parse_size("1048576").value() == 1ULL << 20);
    CHECK(parse_size("0").value() == 0);
}

TEST_CASE("sizes refuse decimal units, fractions and junk", "[config][size]") {
    for (const char* text : {"", "16MB", "16M", "16mib", "1.5MiB", "-1", "KiB", "12 KiB", "1e6"}) {
        INFO(text);
        CHECK_FALSE(parse_size(text));
    }
}

TEST_CASE("sizes refuse overflow", "[config][size]") {
    CHECK_FALSE(parse_size("18446744073709551616"));
    CHECK_FALSE(parse_size("17179869184GiB"));
    CHECK(parse_size("18446744073709551615").value() == UINT64_MAX);
}

TEST_CASE("whole numbers", "[config][uint]") {
    CHECK(parse_uint("0").value() == 0);
    CHECK(parse_uint("10000").value() == 10000);
    CHECK_FALSE(parse_uint("10k"));
    CHECK_FALSE(parse_uint("-1"));
    CHECK_FALSE(parse_uint("1.0"));
    CHECK_FALSE(parse_uint(""));
}

TEST_CASE("booleans are true or false only", "[config][bool]") {
    CHECK(parse_bool("true").value());
    CHECK(parse_bool("TRUE").value());
    CHECK_FALSE(parse_bool("false").value());
    CHECK_FALSE(parse_bool("yes"));
    CHECK_FALSE(parse_bool("on"));
    CHECK_FALSE(parse_bool("1"));
}

TEST_CASE("base64 decodes both alphabets with optional padding", "[config][base64]") {
    CHECK(decode_base64("aGVsbG8=", Base64Alphabet::standard).value() ==
          std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'});
    CHECK(decode_base64("aGVsbG8", Base64Alphabet::standard).value().size() == 5);
    CHECK(decode_base64("-_-_", Base64Alphabet::url).value() ==
          std::vector<std::uint8_t>{0xfb, 0xff, 0xbf});
    CHECK(decode_base64("", Base64Alphabet::url).value().empty());
    auto sha =
        decode_base64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", Base64Alphabet::standard);
    CHECK(sha.value().size() == 32);
}

TEST_CASE("base64 refuses wrong alphabet, padding and trailing bits", "[config][base64]") {
    CHECK_FALSE(decode_base64("-_-_", Base64Alphabet::standard));
    CHECK_FALSE(decode_base64("+/+/", Base64Alphabet::url));
    CHECK_FALSE(decode_base64("aGVsbG8==", Base64Alphabet::standard));
    CHECK_FALSE(decode_base64("aGVsb", Base64Alphabet::standard));
    CHECK_FALSE(decode_base64("aGVsbG9=", Base64Alphabet::standard));
    CHECK_FALSE(decode_base64("aGVsbG9", Base64Alphabet::standard));  // trailing bits set
    CHECK_FALSE(decode_base64("a b=", Base64Alphabet::standard));
}

TEST_CASE("URLs are split into scheme, host, port and path", "[config][url]") {
    auto url = parse_url("WSS://hub.example.com:8443/v1/agent?x=1").value();
    CHECK(url.scheme == "wss");
    CHECK(url.host == "hub.example.com");
    CHECK(url.port == 8443);
    CHECK(url.path == "/v1/agent?x=1");
    auto v6 = parse_url("http://[::1]:3128").value();
    CHECK(v6.host == "::1");
    CHECK(v6.port == 3128);
    CHECK(parse_url("https://h").value().path.empty());
}

TEST_CASE("URLs refuse missing parts, user info and junk", "[config][url]") {
    for (const char* text : {"", "hub.example.com", "wss://", "wss://:443/x", "wss://h:0",
                             "wss://h:65536", "wss://h:", "wss://user:pw@h/", "wss://h/a b",
                             "wss://h/#frag", "ws s://h", "wss://[::1", "://h"}) {
        INFO(text);
        CHECK_FALSE(parse_url(text));
    }
}

TEST_CASE("durations and sizes format with the largest exact unit", "[config][format]") {
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(90s) == "90s");
    CHECK(format_duration(60s) == "1m");
    CHECK(format_duration(7 * 24h) == "7d");
    CHECK(format_size(16ULL << 20) == "16MiB");
    CHECK(format_size(1000) == "1000B");
    CHECK(format_size(0) == "0B");
}
