#pragma once
// Base64 codecs (RFC 4648). Two flavours:
//  - base64url (§5) as JOSE uses it (RFC 7515 §2): no padding when encoding,
//    and decoding is strict: '=' is rejected, as are characters outside the
//    URL-safe alphabet, whitespace, impossible lengths (4n+1) and non-zero
//    trailing bits (so every byte string has exactly one accepted encoding).
//  - standard base64 (§4) with padding, for SPKI pins: decoding requires the
//    length to be a multiple of 4 with at most two '=' at the end, and is
//    otherwise just as strict.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::auth {

[[nodiscard]] std::string base64url_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::string base64url_encode(std::string_view bytes);

[[nodiscard]] Expected<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// Decodes into caller-provided memory (e.g. sodium_malloc'd key storage) and
// returns the number of bytes written; fails if `out` is too small.
[[nodiscard]] Expected<std::size_t> base64url_decode_into(std::string_view text,
                                                          std::span<std::uint8_t> out);

[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] Expected<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace outpost::auth
