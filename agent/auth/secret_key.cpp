#include "agent/auth/secret_key.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "agent/auth/sodium.hpp"

namespace outpost::auth {
namespace {

static_assert(crypto_sign_ed25519_SEEDBYTES == kEd25519SeedBytes);
static_assert(crypto_sign_ed25519_PUBLICKEYBYTES == kEd25519PublicKeyBytes);
static_assert(crypto_sign_ed25519_BYTES == kEd25519SignatureBytes);

Expected<std::uint8_t*> allocate_key() {
    if (auto ready = init_sodium(); !ready) return std::unexpected(ready.error());
    void* memory = sodium_malloc(crypto_sign_ed25519_SECRETKEYBYTES);
    if (memory == nullptr) return fail("cannot allocate guarded memory for the secret key");
    return static_cast<std::uint8_t*>(memory);
}

}  // namespace

Expected<SecretKey> SecretKey::from_seed(std::span<const std::uint8_t> seed) {
    if (seed.size() != kEd25519SeedBytes) {
        return fail("an Ed25519 seed must be 32 bytes");
    }
    auto key = allocate_key();
    if (!key) return std::unexpected(key.error());
    PublicKey public_key{};
    crypto_sign_ed25519_seed_keypair(public_key.data(), *key, seed.data());
    return SecretKey(*key);
}

Expected<SecretKey> SecretKey::generate() {
    auto key = allocate_key();
    if (!key) return std::unexpected(key.error());
    PublicKey public_key{};
    crypto_sign_ed25519_keypair(public_key.data(), *key);
    return SecretKey(*key);
}

SecretKey::SecretKey(SecretKey&& other) noexcept : key_(std::exchange(other.key_, nullptr)) {}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
    if (this != &other) {
        sodium_free(key_);  // wipes; accepts null
        key_ = std::exchange(other.key_, nullptr);
    }
    return *this;
}

SecretKey::~SecretKey() {
    sodium_free(key_);
}

const std::uint8_t* SecretKey::checked() const {
    if (key_ == nullptr) {  // use after move: a programming error
        std::fputs("outpost: fatal: use of a moved-from SecretKey\n", stderr);
        std::abort();
    }
    return key_;
}

PublicKey SecretKey::public_key() const {
    PublicKey public_key{};
    crypto_sign_ed25519_sk_to_pk(public_key.data(), checked());
    return public_key;
}

Signature SecretKey::sign(std::span<const std::uint8_t> message) const {
    Signature signature{};
    crypto_sign_ed25519_detached(signature.data(), nullptr, message.data(), message.size(),
                                 checked());
    return signature;
}

std::span<const std::uint8_t, kEd25519SeedBytes> SecretKey::seed() const {
    // libsodium documents its Ed25519 secret key as the seed followed by the
    // public key (crypto_sign_ed25519_sk_to_seed copies the same bytes).
    return std::span<const std::uint8_t, kEd25519SeedBytes>(checked(), kEd25519SeedBytes);
}

}  // namespace outpost::auth
