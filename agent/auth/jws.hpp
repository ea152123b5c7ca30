#pragma once
// JWS compact serialization with EdDSA/Ed25519 only (RFC 7515, RFC 8037).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/auth/secret_key.hpp"
#include "agent/common/error.hpp"

namespace outpost::auth {

// base64url(header_json) "." base64url(payload) "." base64url(signature),
// the signature being Ed25519 over the ASCII bytes before the second dot.
// The header is used as given; callers pass one with "alg":"EdDSA".
[[nodiscard]] std::string sign_compact_jws(std::string_view header_json,
                                           std::span<const std::uint8_t> payload,
                                           const SecretKey& key);
[[nodiscard]] std::string sign_compact_jws(std::string_view header_json, std::string_view payload,
                                           const SecretKey& key);

// Verifies a compact JWS against one Ed25519 public key and returns the
// decoded payload. Fails unless: exactly three parts of strict base64url; the
// header is a JSON object without duplicate names whose "alg" is "EdDSA"
// (so "none" and every other algorithm are refused) and which has no "crit"
// (no extensions are understood); the signature is 64 bytes and valid.
[[nodiscard]] Expected<std::vector<std::uint8_t>> verify_compact_jws(std::string_view compact,
                                                                     const PublicKey& public_key);

// Parses a base64url (no padding) Ed25519 public key, e.g. the configured
// `security.command_public_key`.
[[nodiscard]] Expected<PublicKey> parse_public_key_base64url(std::string_view text);

}  // namespace outpost::auth
