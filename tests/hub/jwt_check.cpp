#include "jwt_check.hpp"

#include <sodium.h>

#include <algorithm>

#include "b64.hpp"
#include "json_in.hpp"

namespace outpost::hub {
namespace {

Expected<JsonDoc> decode_part(std::string_view part, std::string_view what) {
    auto bytes = b64url_decode(part);
    if (!bytes) return fail(std::string(what) + " is not base64url");
    std::string text(bytes->begin(), bytes->end());
    auto doc = JsonDoc::parse(text);
    if (!doc || !doc->is_object()) return fail(std::string(what) + " is not a JSON object");
    return std::move(*doc);
}

bool audience_matches(simdjson::dom::element claims, std::string_view audience) {
    auto aud = get_field(claims, "aud");
    if (!aud) return false;
    std::string_view s;
    if (aud->get_string().get(s) == simdjson::SUCCESS) return s == audience;
    simdjson::dom::array list;
    if (aud->get_array().get(list) != simdjson::SUCCESS) return false;
    return std::any_of(list.begin(), list.end(), [&](simdjson::dom::element e) {
        std::string_view v;
        return e.get_string().get(v) == simdjson::SUCCESS && v == audience;
    });
}

Expected<void> check_claims(simdjson::dom::element claims, const JwtPolicy& policy,
                            std::string_view subject, int64_t now) {
    auto iss = get_str(claims, "iss");
    auto sub = get_str(claims, "sub");
    if (!iss || !sub) return fail("iss and sub claims are required strings");
    if (*iss != *sub) return fail("iss differs from sub");
    if (!subject.empty() && *sub != subject) return fail("sub does not match X-Agent-Id");
    auto exp = get_int(claims, "exp");
    if (!exp) return fail("exp claim missing or not a number");
    if (*exp + policy.leeway_s <= now) return fail("token expired");
    if (auto nbf = get_int(claims, "nbf"); nbf && *nbf - policy.leeway_s > now) {
        return fail("token not yet valid (nbf)");
    }
    if (!policy.audience.empty() && !audience_matches(claims, policy.audience)) {
        return fail("aud does not match " + policy.audience);
    }
    return {};
}

}  // namespace

Expected<AgentKey> parse_agent_key(std::string_view spec) {
    AgentKey key;
    if (auto eq = spec.rfind('='); eq != std::string_view::npos) {
        key.node_id = std::string(spec.substr(0, eq));
        spec.remove_prefix(eq + 1);
    }
    auto bytes = b64url_decode(spec);
    if (!bytes || bytes->size() != key.public_key.size()) {
        return fail("agent key is not a base64url Ed25519 public key (32 bytes)");
    }
    std::copy(bytes->begin(), bytes->end(), key.public_key.begin());
    return key;
}

Expected<VerifiedJwt> verify_jwt(std::string_view token, const JwtPolicy& policy,
                                 std::string_view expected_subject, int64_t now) {
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return fail("not a compact JWS (three parts)");
    }
    const auto signing_input = token.substr(0, dot2);
    auto header = decode_part(token.substr(0, dot1), "JWS header");
    if (!header) return std::unexpected(header.error());
    if (get_str(header->root(), "alg") != "EdDSA") return fail("JWS alg is not EdDSA");
    auto claims = decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "JWT claims");
    if (!claims) return std::unexpected(claims.error());
    auto sig = b64url_decode(token.substr(dot2 + 1));
    if (!sig || sig->size() != crypto_sign_BYTES) return fail("signature is not 64 bytes");

    auto sub = get_str(claims->root(), "sub").value_or("");
    if (auto kid = get_str(header->root(), "kid"); kid && *kid != sub) {
        return fail("JWS kid differs from sub");
    }
    const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
    const bool verified = std::any_of(policy.keys.begin(), policy.keys.end(), [&](const auto& k) {
        return (k.node_id.empty() || k.node_id == sub) &&
               crypto_sign_verify_detached(sig->data(), input, signing_input.size(),
                                           k.public_key.data()) == 0;
    });
    if (!verified) return fail("signature does not verify with any configured agent key");
    if (auto ok = check_claims(claims->root(), policy, expected_subject, now); !ok) {
        return std::unexpected(ok.error());
    }
    return VerifiedJwt{.subject = std::string(sub),
                       .expires_at = get_int(claims->root(), "exp").value_or(0)};
}

}  // namespace outpost::hub
