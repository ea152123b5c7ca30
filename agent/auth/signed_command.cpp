#include "agent/auth/signed_command.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "agent/auth/jws.hpp"
#include "agent/common/json/json_reader.hpp"

namespace outpost::auth {
namespace {

std::unexpected<SignedCommandFailure> reject(SignedCommandError code, std::string message) {
    return std::unexpected(SignedCommandFailure{code, std::move(message)});
}

}  // namespace

std::string_view protocol_error_code(SignedCommandError code) {
    switch (code) {
        case SignedCommandError::bad_signature:
            return "bad_signature";
        case SignedCommandError::expired:
            return "expired";
    }
    return "bad_signature";
}

std::expected<void, SignedCommandFailure> check_signed_command_claims(
    std::string_view payload_json, std::string_view node_id,
    std::chrono::system_clock::time_point now, std::chrono::seconds max_lifetime) {
    constexpr auto bad = SignedCommandError::bad_signature;
    const auto document = json::Document::parse(payload_json);
    const auto object = document ? document->root().object() : std::nullopt;
    if (!object) return reject(bad, "signed payload is not a JSON object");
    int node_id_count = 0;
    int exp_count = 0;
    std::string_view claimed_node;
    std::optional<json::Value> exp;
    for (const auto field : *object) {
        if (field.key == "node_id") {
            ++node_id_count;
            const auto text = field.value.string();
            if (!text) return reject(bad, "signed payload \"node_id\" is not a string");
            claimed_node = *text;
        } else if (field.key == "exp") {
            ++exp_count;
            exp = field.value;
        }
    }
    if (node_id_count != 1) return reject(bad, "signed payload needs exactly one \"node_id\"");
    if (exp_count != 1) return reject(bad, "signed payload needs exactly one \"exp\"");
    // Integers only: 1.7e9 or 1700000000.0 are refused, as are values past int64.
    if (!exp->is_int64()) {
        return reject(bad, "signed payload \"exp\" is not an integer number of seconds");
    }
    const std::int64_t expires = *exp->int64();

    if (claimed_node != node_id) {
        return reject(
            SignedCommandError::expired,
            fmt::format("signed command is for node \"{}\", not this node", claimed_node));
    }
    const std::int64_t now_s =
        std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    // Valid while now < exp + skew; written so that a huge exp cannot overflow.
    if (now_s - kSignedCommandClockSkew.count() >= expires) {
        return reject(SignedCommandError::expired,
                      fmt::format("signed command expired at {} (now {}, {} s skew allowed)",
                                  expires, now_s, kSignedCommandClockSkew.count()));
    }
    // expires > now_s - skew here, so the difference cannot overflow.
    if (expires - now_s > max_lifetime.count()) {
        return reject(SignedCommandError::expired,
                      fmt::format("signed command's exp {} is more than {} s ahead (now {}): the "
                                  "journal forgets a request_id after journal.retention, so a "
                                  "replay after that could run it again",
                                  expires, max_lifetime.count(), now_s));
    }
    return {};
}

std::expected<std::string, SignedCommandFailure> verify_signed_command(
    std::string_view compact_jws, const PublicKey& control_plane_key, std::string_view node_id,
    std::chrono::system_clock::time_point now, std::chrono::seconds max_lifetime) {
    auto payload = verify_compact_jws(compact_jws, control_plane_key);
    if (!payload) return reject(SignedCommandError::bad_signature, payload.error().message());
    std::string json(payload->begin(), payload->end());
    if (auto claims = check_signed_command_claims(json, node_id, now, max_lifetime); !claims) {
        return std::unexpected(std::move(claims.error()));
    }
    return json;
}

}  // namespace outpost::auth
