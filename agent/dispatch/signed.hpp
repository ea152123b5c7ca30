#pragma once
// Signed commands (protocol.md §3.6): which messages must be wrapped, and
// unwrapping a `signed` envelope into the inner message.

#include <chrono>
#include <expected>
#include <string_view>

#include "agent/auth/secret_key.hpp"
#include "agent/protocol/errors.hpp"
#include "agent/protocol/inbound_messages.hpp"
#include "agent/protocol/inbound_parser.hpp"

namespace outpost::dispatch {

// execute, cancel, execute_approved, deploy, update_agent, config_update.
[[nodiscard]] bool must_be_signed(const protocol::inbound::Body& body);

// Verifies the JWS against the control plane's key and this node's id (and
// that its exp is at most `max_lifetime` ahead: auth/signed_command.hpp), then
// parses and validates the inner message like any other inbound message.
// Errors carry the protocol code (bad_signature, expired, or the inner
// message's validation code) and ref = the envelope's id.
[[nodiscard]] std::expected<protocol::InboundMessage, protocol::ProtocolError> unwrap_signed(
    const protocol::InboundMessage& envelope, const auth::PublicKey& key,
    std::string_view node_id, std::chrono::system_clock::time_point now,
    std::chrono::seconds max_lifetime, std::size_t max_message_bytes,
    protocol::InboundParser& parser);

}  // namespace outpost::dispatch
