#pragma once
// Signed commands (protocol.md §3.6): a compact JWS from the control plane
// whose payload is the inner message plus "node_id" and "exp".

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "agent/auth/secret_key.hpp"

namespace outpost::auth {

// What the caller answers with: `bad_signature` for anything wrong with the
// JWS or its claims' format; `expired` for a valid one addressed to another
// node or past its "exp".
enum class SignedCommandError { bad_signature, expired };

struct SignedCommandFailure {
    SignedCommandError code;
    std::string message;
};

// "bad_signature" or "expired", the protocol's error code.
[[nodiscard]] std::string_view protocol_error_code(SignedCommandError code);

inline constexpr std::chrono::seconds kSignedCommandClockSkew{60};

// Checks the claims of a verified payload: a JSON object with a string
// "node_id" equal to `node_id` and an integer "exp" (Unix seconds) such that
// now < exp + 60 s and exp <= now + max_lifetime. Missing, duplicated or
// mistyped claims are bad_signature; a past or too distant exp is expired.
//
// Why an upper bound: replays of a signed command are stopped by the
// journal, which forgets a request_id after journal.retention. A command
// whose exp lies beyond that could be replayed, and run again, once it is
// forgotten; the caller passes the retention (minus the skew) here.
[[nodiscard]] std::expected<void, SignedCommandFailure> check_signed_command_claims(
    std::string_view payload_json, std::string_view node_id,
    std::chrono::system_clock::time_point now, std::chrono::seconds max_lifetime);

// verify_compact_jws() then check_signed_command_claims(); returns the payload
// (the JSON text of the inner message) for the protocol layer to validate.
[[nodiscard]] std::expected<std::string, SignedCommandFailure> verify_signed_command(
    std::string_view compact_jws, const PublicKey& control_plane_key, std::string_view node_id,
    std::chrono::system_clock::time_point now, std::chrono::seconds max_lifetime);

}  // namespace outpost::auth
