#pragma once
// Protocol error codes (protocol.md §3.5) and the value a failed parse returns.

#include <optional>
#include <string>
#include <string_view>

namespace outpost::protocol {

enum class ErrorCode {
    invalid_json,
    schema,
    unknown_type,
    too_large,
    unknown_request,
    bad_signature,
    expired,
    unsupported,
};

// The wire spelling, e.g. "invalid_json".
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

// The inverse of to_string; nullopt for a code this version does not know.
[[nodiscard]] std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept;

// Why an inbound message was refused; carries what the `error` reply needs.
struct ProtocolError {
    ErrorCode code = ErrorCode::schema;
    std::string message;              // human-readable cause
    std::optional<std::string> path;  // JSON pointer of the bad field ("" = whole document)
    std::optional<std::string> ref;   // envelope `id` of the offending message, when known
};

}  // namespace outpost::protocol
