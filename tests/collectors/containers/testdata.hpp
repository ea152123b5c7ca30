#pragma once
// The saved podman answers (tests/collectors/testdata/containers/), read
// whole, for the tests that parse them offline.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace outpost::collectors::containers::test {

inline std::string testdata(const std::string& name) {
    std::ifstream in(OUTPOST_SOURCE_DIR "/tests/collectors/testdata/containers/" + name,
                     std::ios::binary);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace outpost::collectors::containers::test
