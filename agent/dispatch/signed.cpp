#include "agent/dispatch/signed.hpp"

#include "agent/auth/signed_command.hpp"

namespace outpost::dispatch {

bool must_be_signed(const protocol::inbound::Body& body) {
    using namespace protocol::inbound;
    return std::holds_alternative<Execute>(body) || std::holds_alternative<Cancel>(body) ||
           std::holds_alternative<ExecuteApproved>(body) || std::holds_alternative<Deploy>(body) ||
           std::holds_alternative<UpdateAgent>(body) || std::holds_alternative<ConfigUpdate>(body);
}

std::expected<protocol::InboundMessage, protocol::ProtocolError> unwrap_signed(
    const protocol::InboundMessage& envelope, const auth::PublicKey& key, std::string_view node_id,
    std::chrono::system_clock::time_point now, std::chrono::seconds max_lifetime,
    std::size_t max_message_bytes, protocol::InboundParser& parser) {
    const auto& wrapped = std::get<protocol::inbound::Signed>(envelope.body);
    auto payload = auth::verify_signed_command(wrapped.jws, key, node_id, now, max_lifetime);
    if (!payload) {
        auto code = payload.error().code == auth::SignedCommandError::expired
                        ? protocol::ErrorCode::expired
                        : protocol::ErrorCode::bad_signature;
        return std::unexpected(
            protocol::ProtocolError{code, payload.error().message, "/data/jws", envelope.id});
    }
    auto inner = parser.parse(*payload, max_message_bytes);
    if (!inner) {
        protocol::ProtocolError error = inner.error();
        error.message = "signed payload: " + error.message;
        error.ref = envelope.id;
        return std::unexpected(std::move(error));
    }
    // The commands, plus the requests a server that signs everything would
    // also wrap; session messages (ping, welcome, ...) and nested envelopes
    // are not the dispatcher's to handle.
    using namespace protocol::inbound;
    if (!must_be_signed(inner->body) && !std::holds_alternative<ResultAck>(inner->body) &&
        !std::holds_alternative<HealthCheck>(inner->body)) {
        return std::unexpected(protocol::ProtocolError{
            protocol::ErrorCode::schema,
            "a signed envelope may carry a command, result_ack or health_check, not `" +
                inner->type + "`",
            "/data/jws", envelope.id});
    }
    return inner;
}

SignedGate::SignedGate(Settings settings, WallClock clock)
    : settings_(std::move(settings)), clock_(std::move(clock)) {}

std::expected<std::optional<protocol::InboundMessage>, protocol::ProtocolError> SignedGate::admit(
    const protocol::InboundMessage& message) {
    using protocol::ErrorCode;
    if (!std::holds_alternative<protocol::inbound::Signed>(message.body)) {
        if (settings_.command_public_key && must_be_signed(message.body)) {
            return std::unexpected(protocol::ProtocolError{
                ErrorCode::bad_signature,
                "`" + message.type + "` must arrive signed: security.command_public_key is set",
                std::nullopt, message.id});
        }
        return std::nullopt;
    }
    if (!settings_.command_public_key) {
        return std::unexpected(
            protocol::ProtocolError{ErrorCode::unsupported,
                                    "signed commands are not configured on this agent "
                                    "(security.command_public_key is not set)",
                                    std::nullopt, message.id});
    }
    const auto max_lifetime =
        std::chrono::duration_cast<std::chrono::seconds>(settings_.journal_retention) -
        auth::kSignedCommandClockSkew;
    auto inner = unwrap_signed(message, *settings_.command_public_key, settings_.node_id, clock_(),
                               max_lifetime, settings_.max_message_bytes, parser_);
    if (!inner) return std::unexpected(std::move(inner.error()));
    return std::optional<protocol::InboundMessage>(std::move(*inner));
}

}  // namespace outpost::dispatch
