#include "agent/seal/channel.hpp"

#include <fmt/format.h>

#include "agent/auth/base64url.hpp"
#include "agent/auth/uuid.hpp"
#include "agent/common/json/json_reader.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "agent/seal/envelope.hpp"

namespace outpost::seal {
namespace {

constexpr std::string_view kErrorType = "error";

SealError refuse(Refusal refusal, std::string what) {
    return SealError{refusal, "seal: " + std::move(what)};
}

// The inner message's `type`, if it is a JSON object with a string one.
// Anything else goes on to the ordinary validation (§8: the inner message
// is validated as if it had arrived alone), which answers it with `error`.
std::optional<std::string> inner_type(std::string_view inner) {
    auto document = json::Document::parse(inner);
    if (!document) return std::nullopt;
    auto root = document->root().object();
    if (!root) return std::nullopt;
    auto type = root->find("type");
    if (!type || !type->string()) return std::nullopt;
    return std::string(*type->string());
}

}  // namespace

std::string_view to_string(Refusal refusal) {
    switch (refusal) {
        case Refusal::unsealed:
            return "unsealed";
        case Refusal::malformed:
            return "malformed";
        case Refusal::did_not_open:
            return "did_not_open";
        case Refusal::replayed:
            return "replayed";
        case Refusal::inner_sealed:
            return "inner_sealed";
    }
    return "unknown";
}

Expected<SealChannel> SealChannel::create(const KeyPair& agent, const PublicKey& server) {
    // e lives only until the keys are derived: it is wiped when this
    // function returns, and only E stays (for hello).
    auto ephemeral = ephemeral_key_pair();
    if (!ephemeral) return std::unexpected(ephemeral.error());
    return with_ephemeral(*ephemeral, agent, server);
}

Expected<SealChannel> SealChannel::with_ephemeral(const KeyPair& ephemeral, const KeyPair& agent,
                                                  const PublicKey& server) {
    auto keys = derive_direction_keys(ephemeral, agent, server);
    if (!keys) return std::unexpected(keys.error());
    return SealChannel(std::move(*keys), ephemeral.public_key);
}

std::string SealChannel::hello_epk() const {
    return auth::base64url_encode(ephemeral_public_);
}

Expected<std::string> SealChannel::seal(std::string_view inner) {
    return seal(inner, auth::uuid_v4(), protocol::now_rfc3339());
}

Expected<std::string> SealChannel::seal(std::string_view inner, std::string_view outer_id,
                                        std::string_view ts) {
    if (exhausted_) {
        return std::unexpected(Error("seal: the outbound counter is exhausted; reconnect"));
    }
    const std::uint64_t n = next_out_;
    const auto ciphertext = encrypt(keys_.agent_to_server, n, outer_id, inner);
    if (++next_out_ == 0) exhausted_ = true;
    return encode_outer(outer_id, ts, n, auth::base64url_encode(ciphertext));
}

std::expected<Opened, SealError> SealChannel::open(std::string_view text) {
    Outer outer = read_outer(text);
    if (outer.type == kErrorType) return Opened{std::string(text), true};
    if (outer.type != kSealedType) {
        if (outer.type.empty()) {
            return std::unexpected(refuse(
                Refusal::unsealed, "unsealed message from the server (not JSON with a type)"));
        }
        return std::unexpected(
            refuse(Refusal::unsealed,
                   fmt::format("unsealed `{}` from the server", outer.type.substr(0, 64))));
    }
    if (!outer.problem.empty()) {
        return std::unexpected(refuse(
            Refusal::malformed, "malformed sealed message from the server: " + outer.problem));
    }
    if (last_in_ && *outer.n <= *last_in_) {
        return std::unexpected(refuse(
            Refusal::replayed, fmt::format("the server's n did not grow ({} after {}): a replay",
                                           *outer.n, *last_in_)));
    }
    auto inner = decrypt(keys_.server_to_agent, *outer.n, outer.id, outer.c);
    if (!inner) {
        return std::unexpected(refuse(Refusal::did_not_open, "the server's messages did not open"));
    }
    if (inner_type(*inner) == kSealedType) {
        return std::unexpected(
            refuse(Refusal::inner_sealed, "a sealed message inside a sealed message"));
    }
    last_in_ = *outer.n;
    return Opened{std::move(*inner), false};
}

}  // namespace outpost::seal
