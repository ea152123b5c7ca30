#pragma once
// The keys of a sealed channel (protocol.md §8): the agent's static X25519
// pair (a, A) derived from its Ed25519 identity, a fresh ephemeral pair
// (e, E) per connection, and the BLAKE2b-512 key schedule that turns the two
// Diffie-Hellman results into one key per direction.
//
// Every secret lives in a Secret<N>: libsodium's guarded memory (sodium_malloc:
// guard pages, mlock where allowed), wiped when freed, move-only, never
// formatted. Public keys are plain arrays.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "agent/auth/secret_key.hpp"
#include "agent/common/error.hpp"

namespace outpost::seal {

inline constexpr std::size_t kX25519Bytes = 32;
inline constexpr std::size_t kOkmBytes = 64;  // BLAKE2b-512: two 32-byte keys

using PublicKey = std::array<std::uint8_t, kX25519Bytes>;

namespace detail {
// sodium_malloc'd, zeroed; null when the allocation failed.
[[nodiscard]] std::uint8_t* guarded_alloc(std::size_t size);
// sodium_free: wipes and unmaps; accepts null.
void guarded_free(std::uint8_t* bytes);
}  // namespace detail

// N secret bytes in guarded memory.
template <std::size_t N>
class Secret {
  public:
    // Zeroed bytes; fails only when libsodium cannot initialise or allocate.
    [[nodiscard]] static Expected<Secret> allocate() {
        std::uint8_t* bytes = detail::guarded_alloc(N);
        if (bytes == nullptr) return std::unexpected(Error("cannot allocate guarded key memory"));
        return Secret(bytes);
    }

    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept : bytes_(std::exchange(other.bytes_, nullptr)) {}
    Secret& operator=(Secret&& other) noexcept {
        if (this != &other) {
            detail::guarded_free(bytes_);
            bytes_ = std::exchange(other.bytes_, nullptr);
        }
        return *this;
    }
    ~Secret() { detail::guarded_free(bytes_); }

    [[nodiscard]] std::uint8_t* data() { return bytes_; }
    [[nodiscard]] const std::uint8_t* data() const { return bytes_; }
    [[nodiscard]] std::span<const std::uint8_t, N> bytes() const {
        return std::span<const std::uint8_t, N>(bytes_, N);
    }

  private:
    explicit Secret(std::uint8_t* bytes) : bytes_(bytes) {}
    std::uint8_t* bytes_;  // null only in a moved-from object
};

using SecretKey32 = Secret<kX25519Bytes>;

struct KeyPair {
    SecretKey32 secret;
    PublicKey public_key;
};

// (a, A): the identity's Ed25519 key mapped to X25519 (libsodium
// crypto_sign_ed25519_{sk,pk}_to_curve25519), so the key the control plane
// registered covers it.
[[nodiscard]] Expected<KeyPair> agent_key_pair(const auth::SecretKey& identity);

// (e, E): a fresh pair from libsodium's CSPRNG, for one connection.
[[nodiscard]] Expected<KeyPair> ephemeral_key_pair();

// The pair of a given private key (the known-answer tests' fixed keys).
[[nodiscard]] Expected<KeyPair> key_pair_from_secret(std::span<const std::uint8_t> secret);

// X25519(secret, public). Fails when the result is all zeros (a low-order
// public key: no shared secret at all).
[[nodiscard]] Expected<SecretKey32> x25519(const SecretKey32& secret, const PublicKey& peer);

// okm = BLAKE2b-512("outpost.v1 seal" ‖ dh1 ‖ dh2 ‖ E ‖ A ‖ S), unkeyed.
[[nodiscard]] Expected<Secret<kOkmBytes>> key_schedule(const SecretKey32& dh1,
                                                       const SecretKey32& dh2,
                                                       const PublicKey& ephemeral,
                                                       const PublicKey& agent,
                                                       const PublicKey& server);

// The two keys of one connection: okm's first half and its second half.
struct DirectionKeys {
    SecretKey32 agent_to_server;
    SecretKey32 server_to_agent;
};

// dh1 = X25519(e, S), dh2 = X25519(a, S), then key_schedule and the split.
// The intermediates are wiped before it returns.
[[nodiscard]] Expected<DirectionKeys> derive_direction_keys(const KeyPair& ephemeral,
                                                            const KeyPair& agent,
                                                            const PublicKey& server);

}  // namespace outpost::seal
