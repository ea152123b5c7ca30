#pragma once
// Byte/string conversions for the tests.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::auth::test {

inline std::vector<std::uint8_t> bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

inline std::string string_of(const std::vector<std::uint8_t>& bytes) {
    return {bytes.begin(), bytes.end()};
}

}  // namespace outpost::auth::test
