#include "agent/auth/jwt.hpp"

#include <fmt/format.h>

#include "agent/auth/jws.hpp"
#include "agent/auth/uuid.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/common/json/utf8.hpp"

namespace outpost::auth {
namespace {

// A JSON string literal for UTF-8 text. Invalid UTF-8 is refused rather
// than repaired: a token must carry exactly the identity it was asked to.
Expected<std::string> json_string(std::string_view text) {
    if (json::utf8::find_invalid(text) != std::string_view::npos) {
        return fail("text is not valid UTF-8");
    }
    std::string out;
    json::append_json_string(out, text);
    return out;
}

}  // namespace

Expected<MintedJwt> mint_jwt(const Identity& identity, std::string_view audience,
                             std::chrono::system_clock::time_point now, std::chrono::seconds ttl) {
    if (audience.empty()) return fail("JWT audience is empty");
    if (ttl <= std::chrono::seconds::zero()) return fail("JWT lifetime must be positive");
    auto node_id = json_string(identity.node_id);
    if (!node_id) return std::unexpected(node_id.error().context("JWT node id"));
    auto aud = json_string(audience);
    if (!aud) return std::unexpected(aud.error().context("JWT audience"));

    const auto iat = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch());
    const auto exp = iat + ttl;
    const std::string header = fmt::format(R"({{"alg":"EdDSA","typ":"JWT","kid":{}}})", *node_id);
    const std::string claims =
        fmt::format(R"({{"iss":{0},"sub":{0},"aud":{1},"iat":{2},"exp":{3},"jti":"{4}"}})",
                    *node_id, *aud, iat.count(), exp.count(), uuid_v4());
    return MintedJwt{sign_compact_jws(header, claims, identity.secret_key),
                     std::chrono::system_clock::time_point(exp)};
}

}  // namespace outpost::auth
