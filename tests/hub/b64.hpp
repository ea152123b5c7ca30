#pragma once
// Base64 helpers (libsodium underneath). The hub keeps its own copy instead of
// linking the agent's: it stands for a third-party control plane.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::hub {

// RFC 4648 §5 without padding, as JWS uses it.
[[nodiscard]] std::string b64url_encode(std::span<const uint8_t> bytes);
// Strict: rejects padding, whitespace and characters outside the alphabet.
[[nodiscard]] std::optional<std::vector<uint8_t>> b64url_decode(std::string_view text);
// RFC 4648 §4 with padding (SPKI pins).
[[nodiscard]] std::string b64_encode(std::span<const uint8_t> bytes);

// A random token of `bytes` random bytes, base64url.
[[nodiscard]] std::string random_b64url(size_t bytes);

}  // namespace outpost::hub
