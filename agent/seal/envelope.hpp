#pragma once
// One sealed message on the wire (protocol.md §8), without state: the nonce,
// the ChaCha20-Poly1305 (IETF) encryption of an inner message under one
// direction's key, and the outer JSON envelope
//   {"type":"sealed","id":..,"ts":..,"data":{"n":..,"c":"<base64url>"}}.
// SealChannel (channel.hpp) adds the counters and the refusals.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/seal/keys.hpp"

namespace outpost::seal {

inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::string_view kSealedType = "sealed";

// 4 zero bytes, then n as a 64-bit big-endian integer.
[[nodiscard]] std::array<std::uint8_t, kNonceBytes> nonce_for(std::uint64_t n);

// ChaCha20-Poly1305 of `inner` under `key` with nonce_for(n) and the outer
// id as associated data: the ciphertext with its 16-byte tag at the end.
[[nodiscard]] std::vector<std::uint8_t> encrypt(const SecretKey32& key, std::uint64_t n,
                                                std::string_view outer_id, std::string_view inner);

// The inverse; fails (without saying more: nothing to learn from) when the
// tag does not verify.
[[nodiscard]] Expected<std::string> decrypt(const SecretKey32& key, std::uint64_t n,
                                            std::string_view outer_id,
                                            std::span<const std::uint8_t> ciphertext);

// The outer message's text; `c` is already base64url.
[[nodiscard]] std::string encode_outer(std::string_view id, std::string_view ts, std::uint64_t n,
                                       std::string_view c);

// What a receiver reads of an inbound message before it opens it.
struct Outer {
    std::string type;                // "" when the text is no JSON object with a string type
    std::string id;                  // sealed only
    std::optional<std::uint64_t> n;  // sealed only; nullopt: missing or not an unsigned integer
    std::vector<std::uint8_t> c;     // sealed only, decoded
    std::string problem;             // why a `sealed` envelope is malformed; empty when well-formed
};

[[nodiscard]] Outer read_outer(std::string_view text);

// The largest inner message whose sealed form fits `max_outer_bytes`, for
// any counter value: what every sender that cuts to
// protocol.max_message_bytes must cut to instead while sealing.
[[nodiscard]] std::size_t max_inner_bytes(std::size_t max_outer_bytes);

}  // namespace outpost::seal
