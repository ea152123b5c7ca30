#include "agent/seal/keys.hpp"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "agent/auth/sodium.hpp"

namespace outpost::seal {
namespace {

// §8's domain separation label, hashed first.
constexpr std::string_view kScheduleLabel = "outpost.v1 seal";

static_assert(crypto_scalarmult_BYTES == kX25519Bytes);
static_assert(crypto_scalarmult_SCALARBYTES == kX25519Bytes);

}  // namespace

namespace detail {

std::uint8_t* guarded_alloc(std::size_t size) {
    if (!auth::init_sodium()) return nullptr;
    auto* bytes = static_cast<std::uint8_t*>(sodium_malloc(size));
    if (bytes != nullptr) sodium_memzero(bytes, size);
    return bytes;
}

void guarded_free(std::uint8_t* bytes) {
    sodium_free(bytes);  // wipes first; a null pointer is allowed
}

}  // namespace detail

Expected<KeyPair> agent_key_pair(const auth::SecretKey& identity) {
    // libsodium's Ed25519 secret key is seed ‖ public key; rebuild it in
    // guarded memory rather than reach into SecretKey's own storage.
    auto ed_secret = Secret<crypto_sign_SECRETKEYBYTES>::allocate();
    if (!ed_secret) return std::unexpected(ed_secret.error());
    const auto seed = identity.seed();
    const auth::PublicKey ed_public = identity.public_key();
    std::copy(seed.begin(), seed.end(), ed_secret->data());
    std::copy(ed_public.begin(), ed_public.end(), ed_secret->data() + seed.size());

    auto secret = SecretKey32::allocate();
    if (!secret) return std::unexpected(secret.error());
    PublicKey public_key{};
    if (crypto_sign_ed25519_sk_to_curve25519(secret->data(), ed_secret->data()) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(public_key.data(), ed_public.data()) != 0) {
        return std::unexpected(Error("the identity key has no X25519 form"));
    }
    return KeyPair{std::move(*secret), public_key};
}

Expected<KeyPair> ephemeral_key_pair() {
    auto secret = SecretKey32::allocate();
    if (!secret) return std::unexpected(secret.error());
    PublicKey public_key{};
    crypto_box_keypair(public_key.data(), secret->data());
    return KeyPair{std::move(*secret), public_key};
}

Expected<KeyPair> key_pair_from_secret(std::span<const std::uint8_t> secret_bytes) {
    if (secret_bytes.size() != kX25519Bytes) {
        return std::unexpected(Error(ErrorKind::invalid_input, "an X25519 key has 32 bytes"));
    }
    auto secret = SecretKey32::allocate();
    if (!secret) return std::unexpected(secret.error());
    std::copy(secret_bytes.begin(), secret_bytes.end(), secret->data());
    PublicKey public_key{};
    if (crypto_scalarmult_base(public_key.data(), secret->data()) != 0) {
        return std::unexpected(Error(ErrorKind::invalid_input, "an unusable X25519 key"));
    }
    return KeyPair{std::move(*secret), public_key};
}

Expected<SecretKey32> x25519(const SecretKey32& secret, const PublicKey& peer) {
    auto shared = SecretKey32::allocate();
    if (!shared) return std::unexpected(shared.error());
    if (crypto_scalarmult(shared->data(), secret.data(), peer.data()) != 0) {
        return std::unexpected(Error(ErrorKind::invalid_input,
                                     "the server's seal key is a low-order point (no shared "
                                     "secret); check security.server_seal_key"));
    }
    return shared;
}

Expected<Secret<kOkmBytes>> key_schedule(const SecretKey32& dh1, const SecretKey32& dh2,
                                         const PublicKey& ephemeral, const PublicKey& agent,
                                         const PublicKey& server) {
    auto okm = Secret<kOkmBytes>::allocate();
    if (!okm) return std::unexpected(okm.error());
    // The hash state holds key material on its way: wiped before return.
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, kOkmBytes);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kScheduleLabel.data()),
                              kScheduleLabel.size());
    crypto_generichash_update(&state, dh1.data(), kX25519Bytes);
    crypto_generichash_update(&state, dh2.data(), kX25519Bytes);
    crypto_generichash_update(&state, ephemeral.data(), ephemeral.size());
    crypto_generichash_update(&state, agent.data(), agent.size());
    crypto_generichash_update(&state, server.data(), server.size());
    crypto_generichash_final(&state, okm->data(), kOkmBytes);
    sodium_memzero(&state, sizeof state);
    return okm;
}

Expected<DirectionKeys> derive_direction_keys(const KeyPair& ephemeral, const KeyPair& agent,
                                              const PublicKey& server) {
    auto dh1 = x25519(ephemeral.secret, server);
    if (!dh1) return std::unexpected(dh1.error());
    auto dh2 = x25519(agent.secret, server);
    if (!dh2) return std::unexpected(dh2.error());
    auto okm = key_schedule(*dh1, *dh2, ephemeral.public_key, agent.public_key, server);
    if (!okm) return std::unexpected(okm.error());
    auto to_server = SecretKey32::allocate();
    auto to_agent = SecretKey32::allocate();
    if (!to_server || !to_agent)
        return std::unexpected(Error("cannot allocate guarded key memory"));
    std::copy_n(okm->data(), kX25519Bytes, to_server->data());
    std::copy_n(okm->data() + kX25519Bytes, kX25519Bytes, to_agent->data());
    return DirectionKeys{std::move(*to_server), std::move(*to_agent)};
}

}  // namespace outpost::seal
