#pragma once
// Signed commands (protocol.md §3.6): which messages must be wrapped,
// unwrapping a `signed` envelope into the inner message, and the gate every
// server message passes before it is routed.

#include <chrono>
#include <expected>
#include <functional>
#include <optional>
#include <string>
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
    const protocol::InboundMessage& envelope, const auth::PublicKey& key, std::string_view node_id,
    std::chrono::system_clock::time_point now, std::chrono::seconds max_lifetime,
    std::size_t max_message_bytes, protocol::InboundParser& parser);

// The gate in front of routing: a `signed` envelope is verified and its
// inner message parsed and validated here, and a command that must arrive
// signed but did not is refused here, so that routing only ever sees
// validated messages it may act on.
class SignedGate {
  public:
    struct Settings {
        std::string node_id;
        std::size_t max_message_bytes = 1024 * 1024;
        std::optional<auth::PublicKey> command_public_key;  // signed commands required when set
        // A signed command may not outlive the journal's memory of it: its
        // exp may lie at most this far ahead (less the clock skew).
        std::chrono::milliseconds journal_retention = std::chrono::hours(24 * 7);
    };
    using WallClock = std::function<std::chrono::system_clock::time_point()>;

    SignedGate(Settings settings, WallClock clock);

    // The message to route: the envelope's validated inner message, or
    // nullopt for `message` itself (not signed, and not required to be).
    // The error is the `error` reply to send (ref: the frame's id).
    [[nodiscard]] std::expected<std::optional<protocol::InboundMessage>, protocol::ProtocolError>
    admit(const protocol::InboundMessage& message);

  private:
    Settings settings_;
    WallClock clock_;
    protocol::InboundParser parser_;
};

}  // namespace outpost::dispatch
