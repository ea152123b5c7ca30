#include "auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <iterator>

#include "b64.hpp"

namespace outpost::hub {
namespace {

bool equal_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool looks_like_jwt(std::string_view token) {
    return std::count(token.begin(), token.end(), '.') == 2;
}

}  // namespace

std::string_view to_string(AuthKind kind) {
    switch (kind) {
        case AuthKind::jwt:
            return "jwt";
        case AuthKind::access_token:
            return "access_token";
        case AuthKind::static_token:
            return "static";
        case AuthKind::none:
            return "none";
    }
    return "none";
}

Expected<AuthOk> Authenticator::check_bearer(std::string_view token, std::string_view agent_id,
                                             int64_t now) const {
    if (no_auth_) return AuthOk{};
    if (agent_id.empty()) return fail("missing X-Agent-Id");
    if (token.empty()) return fail("missing bearer token");

    if (auto it = issued_.find(token); it != issued_.end()) {
        if (it->second.agent_id != agent_id) return fail("access token issued to another agent");
        if (it->second.expires_at <= now) return fail("access token expired");
        return AuthOk{.kind = AuthKind::access_token, .expires_at = it->second.expires_at};
    }
    for (const auto& secret : static_tokens_) {
        if (equal_secret(secret, token)) return AuthOk{.kind = AuthKind::static_token};
    }
    if (!looks_like_jwt(token)) return fail("unknown access token");
    if (policy_.keys.empty()) return fail("no agent keys configured to verify a JWT");
    auto jwt = verify_jwt(token, policy_, agent_id, now);
    if (!jwt) return std::unexpected(jwt.error().context("jwt"));
    return AuthOk{.kind = AuthKind::jwt, .expires_at = jwt->expires_at};
}

Expected<VerifiedJwt> Authenticator::check_assertion(std::string_view jwt,
                                                     std::string_view agent_id, int64_t now) const {
    if (policy_.keys.empty()) return fail("no agent keys configured to verify the assertion");
    return verify_jwt(jwt, policy_, agent_id, now);
}

std::string Authenticator::issue_access_token(std::string agent_id, int64_t expires_at) {
    // Forget expired tokens so a long test run does not grow the table forever.
    std::erase_if(issued_,
                  [&](const auto& kv) { return kv.second.expires_at <= expires_at - 86400; });
    std::string token = "hat_" + random_b64url(32);
    issued_[token] = Issued{.agent_id = std::move(agent_id), .expires_at = expires_at};
    return token;
}

}  // namespace outpost::hub
