#pragma once
// Verifies the agent's self-signed EdDSA JWTs (protocol.md §2), written from
// the protocol page alone: compact JWS, alg EdDSA, Ed25519 over
// b64url(header) "." b64url(claims).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::hub {

struct AgentKey {
    std::string node_id;  // empty: the key may sign for any node id
    std::array<uint8_t, 32> public_key{};
};

// "[node_id=]<base64url Ed25519 public key>".
[[nodiscard]] Expected<AgentKey> parse_agent_key(std::string_view spec);

struct JwtPolicy {
    std::vector<AgentKey> keys;
    std::string audience;  // empty: aud is not checked
    int64_t leeway_s = 0;  // allowed clock skew for exp/nbf
};

struct VerifiedJwt {
    std::string subject;  // iss == sub
    int64_t expires_at = 0;
};

// `expected_subject` empty: any subject (the token endpoint without X-Agent-Id).
[[nodiscard]] Expected<VerifiedJwt> verify_jwt(std::string_view token, const JwtPolicy& policy,
                                               std::string_view expected_subject, int64_t now);

}  // namespace outpost::hub
