#include <catch2/catch.hpp>

#include "collectors/host_info.hpp"

using outpost::collectors::collect_host_info;

TEST_CASE("host info is read from a saved Debian snapshot") {
    auto info = collect_host_info(OUTPOST_SOURCE_DIR "/tests/collectors/testdata/host-debian");
    CHECK(info.hostname == "edge-07");
    CHECK(info.os == "Debian GNU/Linux 12 (bookworm)");
    CHECK(info.kernel == "6.1.0-27-amd64");
    CHECK(info.machine_id == "3f1c0e5b9a2d4c6e8f0a1b2c3d4e5f60");
    CHECK(info.boot_id == "9b2e4c1a-7d3f-4e5a-8b6c-0d1e2f3a4b5c");
    CHECK_FALSE(info.arch.empty());
}

TEST_CASE("host info from an empty root falls back without failing") {
    auto info = collect_host_info("/nonexistent-outpost-root");
    CHECK(info.hostname.empty());
    CHECK(info.os == "Linux");
    CHECK(info.machine_id.empty());
}

TEST_CASE("host info on the live system has the kernel's facts") {
    auto info = collect_host_info("/");
    CHECK_FALSE(info.hostname.empty());
    CHECK_FALSE(info.kernel.empty());
    CHECK(info.boot_id.size() == 36);
}
