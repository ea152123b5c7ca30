#pragma once
// The cryptography of protocol.md §8 ("Sealed messages"), server side,
// written from the protocol page alone (the hub links no agent library, so
// the agent is checked against the page, not against itself):
//   dh1 = X25519(s, E), dh2 = X25519(s, A)  (= X25519(e, S), X25519(a, S))
//   okm = BLAKE2b-512("outpost.v1 seal" ‖ dh1 ‖ dh2 ‖ E ‖ A ‖ S)
//   okm[0..32) keys agent → server, okm[32..64) server → agent
//   ChaCha20-Poly1305 IETF, nonce = 4 zero bytes ‖ n (64-bit big endian),
//   associated data = the outer message's id.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::hub::seal {

using Key = std::array<uint8_t, 32>;
using Nonce = std::array<uint8_t, 12>;

// The ASCII label that opens the key-schedule input.
inline constexpr std::string_view kLabel = "outpost.v1 seal";

// Everything the key schedule computes; the intermediates are kept so the
// known-answer test can print them when the bytes differ.
struct Schedule {
    Key dh1{};
    Key dh2{};
    std::array<uint8_t, 64> okm{};
    [[nodiscard]] Key agent_to_server() const;
    [[nodiscard]] Key server_to_agent() const;
};

// X25519 public key of a private key (crypto_scalarmult_base).
[[nodiscard]] Expected<Key> public_of(const Key& private_key);
// The agent's static X25519 public key A from its registered Ed25519 key.
[[nodiscard]] Expected<Key> x25519_from_ed25519(const Key& ed25519_public);

// The server's side of the schedule: `s`/`S` its pair, `A` the agent's
// static key, `E` the agent's ephemeral key from hello.seal.epk. Fails on a
// low-order point (an all-zero shared secret).
[[nodiscard]] Expected<Schedule> derive(const Key& s, const Key& S, const Key& A, const Key& E);

[[nodiscard]] Nonce nonce_for(uint64_t n);

// ChaCha20-Poly1305 IETF: ciphertext ‖ 16-byte tag.
[[nodiscard]] std::vector<uint8_t> encrypt(const Key& key, uint64_t n, std::string_view ad,
                                           std::string_view plaintext);
// nullopt when the tag does not verify.
[[nodiscard]] std::optional<std::string> decrypt(const Key& key, uint64_t n, std::string_view ad,
                                                 std::span<const uint8_t> ciphertext);

// Base64url as §8 receives it: with or without `=` padding.
[[nodiscard]] std::optional<std::vector<uint8_t>> b64url_decode_lenient(std::string_view text);
// Exactly 32 bytes of base64url, else nullopt.
[[nodiscard]] std::optional<Key> key_from_b64url(std::string_view text);

// Server key files (`gen-seal-key`, `--seal-key`): one line, the 32-byte
// X25519 private key as base64url without padding, mode 0600.
[[nodiscard]] Expected<Key> read_private_key_file(const std::string& path);
[[nodiscard]] Expected<void> write_private_key_file(const std::string& path, const Key& key);

}  // namespace outpost::hub::seal
