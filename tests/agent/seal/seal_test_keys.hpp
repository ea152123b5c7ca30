#pragma once
// The fixed keys of the known-answer vector (docs/sealing.md, "Test
// vectors"): agent identity seed 00..1f, server private key 20..3f,
// ephemeral private key 40..5f. Shared by the seal tests.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "agent/auth/base64url.hpp"
#include "agent/auth/secret_key.hpp"
#include "agent/seal/envelope.hpp"
#include "agent/seal/keys.hpp"

namespace outpost::seal::testing {

// 32 bytes first, first + 1, ..., first + 31.
inline std::array<std::uint8_t, 32> counting_from(std::uint8_t first) {
    std::array<std::uint8_t, 32> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(first + i);
    return bytes;
}

inline auth::SecretKey vector_identity() {
    auto identity = auth::SecretKey::from_seed(counting_from(0x00));
    REQUIRE(identity);
    return std::move(*identity);
}

inline KeyPair vector_agent() {
    auto agent = agent_key_pair(vector_identity());
    REQUIRE(agent);
    return std::move(*agent);
}

inline KeyPair vector_pair(std::uint8_t first) {
    auto pair = key_pair_from_secret(counting_from(first));
    REQUIRE(pair);
    return std::move(*pair);
}

inline KeyPair vector_server() {
    return vector_pair(0x20);
}
inline KeyPair vector_ephemeral() {
    return vector_pair(0x40);
}

// The control plane's end of one connection, computed the server's way
// (from s, E and A, as §8 describes it), to seal what it sends and open
// what the agent sent.
class TestServer {
  public:
    TestServer(const KeyPair& server, const PublicKey& ephemeral, const PublicKey& agent)
        : to_server_(take(SecretKey32::allocate())), to_agent_(take(SecretKey32::allocate())) {
        auto dh1 = x25519(server.secret, ephemeral);
        auto dh2 = x25519(server.secret, agent);
        REQUIRE(dh1);
        REQUIRE(dh2);
        auto okm = key_schedule(*dh1, *dh2, ephemeral, agent, server.public_key);
        REQUIRE(okm);
        std::copy_n(okm->data(), kX25519Bytes, to_server_.data());
        std::copy_n(okm->data() + kX25519Bytes, kX25519Bytes, to_agent_.data());
    }

    // `inner` sealed with the next n (or the given one) and `id`.
    std::string seal(std::string_view inner,
                     std::string_view id = "22222222-2222-4222-8222-222222222222") {
        return seal_with(next_n_++, inner, id);
    }
    std::string seal_with(std::uint64_t n, std::string_view inner,
                          std::string_view id = "22222222-2222-4222-8222-222222222222") {
        const auto c = encrypt(to_agent_, n, id, inner);
        return encode_outer(id, "2026-12-07T00:00:00.000Z", n, auth::base64url_encode(c));
    }

    // What the agent sealed, opened (fails the test when it does not open).
    std::string open(std::string_view outer_text) {
        Outer outer = read_outer(outer_text);
        REQUIRE(outer.type == kSealedType);
        REQUIRE(outer.problem.empty());
        auto inner = decrypt(to_server_, *outer.n, outer.id, outer.c);
        REQUIRE(inner);
        return *inner;
    }

  private:
    static SecretKey32 take(Expected<SecretKey32> key) {
        REQUIRE(key);
        return std::move(*key);
    }
    SecretKey32 to_server_;
    SecretKey32 to_agent_;
    std::uint64_t next_n_ = 0;
};

}  // namespace outpost::seal::testing
