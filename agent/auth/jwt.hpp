#pragma once
// The self-signed EdDSA JWT a node presents as its bearer token (protocol.md §2).

#include <chrono>
#include <string>
#include <string_view>

#include "agent/auth/identity.hpp"
#include "agent/common/error.hpp"

namespace outpost::auth {

struct MintedJwt {
    std::string token;                                 // compact form; a credential: never log it
    std::chrono::system_clock::time_point expires_at;  // the "exp" claim
};

// Header {"alg":"EdDSA","typ":"JWT","kid":<node_id>}; claims iss = sub =
// node_id, aud, iat = now (whole seconds), exp = iat + ttl, jti = random UUID.
// Fails if the audience is empty or not UTF-8, or ttl is not positive.
[[nodiscard]] Expected<MintedJwt> mint_jwt(const Identity& identity, std::string_view audience,
                                           std::chrono::system_clock::time_point now,
                                           std::chrono::seconds ttl);

}  // namespace outpost::auth
