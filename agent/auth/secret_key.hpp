#pragma once
// An Ed25519 secret key held in libsodium's guarded memory (sodium_malloc:
// guard pages, mlock where allowed) and wiped when freed. Move-only, so the
// key bytes are never copied into ordinary memory by accident.

#include <array>
#include <cstdint>
#include <span>

#include "agent/common/error.hpp"

namespace outpost::auth {

inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

using PublicKey = std::array<std::uint8_t, kEd25519PublicKeyBytes>;
using Signature = std::array<std::uint8_t, kEd25519SignatureBytes>;

class SecretKey {
  public:
    // Derives the key pair from a 32-byte seed (RFC 8032's "private key").
    [[nodiscard]] static Expected<SecretKey> from_seed(std::span<const std::uint8_t> seed);
    // A fresh key pair from libsodium's CSPRNG.
    [[nodiscard]] static Expected<SecretKey> generate();

    SecretKey(const SecretKey&) = delete;
    SecretKey& operator=(const SecretKey&) = delete;
    SecretKey(SecretKey&& other) noexcept;
    SecretKey& operator=(SecretKey&& other) noexcept;
    ~SecretKey();

    [[nodiscard]] PublicKey public_key() const;
    [[nodiscard]] Signature sign(std::span<const std::uint8_t> message) const;

    // The 32-byte seed, pointing into the guarded memory (for writing the key
    // file). Valid while this object lives; never copy it elsewhere.
    [[nodiscard]] std::span<const std::uint8_t, kEd25519SeedBytes> seed() const;

  private:
    explicit SecretKey(std::uint8_t* key) : key_(key) {}
    [[nodiscard]] const std::uint8_t* checked() const;

    // libsodium's 64-byte secret key (seed || public key), sodium_malloc'd;
    // null only in a moved-from object.
    std::uint8_t* key_;
};

}  // namespace outpost::auth
