#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/config/suggest.hpp"

using namespace outpost::config;

TEST_CASE("edit distance counts insertions, deletions, substitutions and swaps",
          "[config][suggest]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("abc", "") == 3);
    CHECK(edit_distance("interval", "intervall") == 1);
    CHECK(edit_distance("interval", "intreval") == 1);
    CHECK(edit_distance("interval", "intarval") == 1);
    CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("closest match finds likely typos only", "[config][suggest]") {
    const std::vector<std::string> keys{"interval", "initial", "max", "url"};
    CHECK(closest_match("intervall", keys) == "interval");
    CHECK(closest_match("inital", keys) == "initial");
    CHECK(closest_match("uri", keys) == "url");
    CHECK(closest_match("intervals_ms", keys) == "interval");
    CHECK(closest_match("ini", keys) == "initial");
    CHECK(closest_match("ma", keys) == "max");
    CHECK_FALSE(closest_match("completely_different", keys));
    CHECK_FALSE(closest_match("", keys));
    CHECK_FALSE(closest_match(std::string(500, 'x'), keys));
}
