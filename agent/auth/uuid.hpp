#pragma once
// Random (version 4) UUIDs, RFC 9562 §5.4, in canonical lowercase form
// (8-4-4-4-12 hex digits), used for node ids, message ids and JWT ids.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::auth {

// 122 random bits from libsodium's randombytes. Aborts only if libsodium
// cannot initialise at all (see sodium.hpp).
[[nodiscard]] std::string uuid_v4();

// Formats 16 random bytes as a v4 UUID, setting the version and variant bits.
[[nodiscard]] std::string format_uuid_v4(std::array<std::uint8_t, 16> bytes);

// True for the canonical lowercase form with version 4 and variant 10xx.
[[nodiscard]] bool is_uuid_v4(std::string_view text);

}  // namespace outpost::auth
