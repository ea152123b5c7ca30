#include <catch2/catch.hpp>

#include <set>

#include "agent/auth/uuid.hpp"

using namespace outpost::auth;

TEST_CASE("uuid_v4 gives distinct canonical v4 UUIDs", "[uuid]") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string id = uuid_v4();
        INFO(id);
        CHECK(id.size() == 36);
        CHECK(is_uuid_v4(id));
        seen.insert(id);
    }
    CHECK(seen.size() == 200);
}

TEST_CASE("format_uuid_v4 sets the version and variant bits", "[uuid]") {
    std::array<std::uint8_t, 16> ones{};
    ones.fill(0xff);
    CHECK(format_uuid_v4(ones) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
    CHECK(format_uuid_v4({}) == "00000000-0000-4000-8000-000000000000");
}

TEST_CASE("is_uuid_v4 accepts only the canonical lowercase v4 form", "[uuid]") {
    CHECK(is_uuid_v4("123e4567-e89b-42d3-a456-426614174000"));
    CHECK_FALSE(is_uuid_v4("123E4567-E89B-42D3-A456-426614174000"));  // uppercase
    CHECK_FALSE(is_uuid_v4("123e4567-e89b-12d3-a456-426614174000"));  // version 1
    CHECK_FALSE(is_uuid_v4("123e4567-e89b-42d3-c456-426614174000"));  // variant 110x
    CHECK_FALSE(is_uuid_v4("123e4567e89b42d3a456426614174000"));      // no dashes
    CHECK_FALSE(is_uuid_v4("{123e4567-e89b-42d3-a456-426614174000}"));
    CHECK_FALSE(is_uuid_v4("123e4567-e89b-42d3-a456-42661417400g"));
    CHECK_FALSE(is_uuid_v4("123e4567-e89b-42d3-a456_426614174000"));
    CHECK_FALSE(is_uuid_v4(""));
}
