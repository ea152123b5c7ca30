#pragma once
// Who may connect: the agent's own JWT, an access token this hub issued at
// its token endpoint, a configured static bearer secret, or nobody checked.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "jwt_check.hpp"

namespace outpost::hub {

enum class AuthKind { jwt, access_token, static_token, none };
[[nodiscard]] std::string_view to_string(AuthKind kind);

struct AuthOk {
    AuthKind kind = AuthKind::none;
    int64_t expires_at = 0;  // 0: never
};

class Authenticator {
  public:
    Authenticator(JwtPolicy policy, std::vector<std::string> static_tokens, bool no_auth)
        : policy_(std::move(policy)), static_tokens_(std::move(static_tokens)), no_auth_(no_auth) {}

    // A bearer token presented by `agent_id` (the X-Agent-Id header).
    [[nodiscard]] Expected<AuthOk> check_bearer(std::string_view token, std::string_view agent_id,
                                                int64_t now) const;
    // The token endpoint's assertion; `agent_id` may be empty.
    [[nodiscard]] Expected<VerifiedJwt> check_assertion(std::string_view jwt,
                                                        std::string_view agent_id,
                                                        int64_t now) const;

    [[nodiscard]] std::string issue_access_token(std::string agent_id, int64_t expires_at);
    void revoke_access_tokens() { issued_.clear(); }
    // The registered agent keys (--agent-key): sealing derives the agent's X25519 key from them.
    [[nodiscard]] const std::vector<AgentKey>& agent_keys() const { return policy_.keys; }

  private:
    struct Issued {
        std::string agent_id;
        int64_t expires_at = 0;
    };
    JwtPolicy policy_;
    std::vector<std::string> static_tokens_;
    bool no_auth_;
    std::map<std::string, Issued, std::less<>> issued_;
};

}  // namespace outpost::hub
