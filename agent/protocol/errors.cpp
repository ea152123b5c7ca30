#include "agent/protocol/errors.hpp"

#include <array>
#include <utility>

namespace outpost::protocol {
namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 8> kNames{{
    {ErrorCode::invalid_json, "invalid_json"},
    {ErrorCode::schema, "schema"},
    {ErrorCode::unknown_type, "unknown_type"},
    {ErrorCode::too_large, "too_large"},
    {ErrorCode::unknown_request, "unknown_request"},
    {ErrorCode::bad_signature, "bad_signature"},
    {ErrorCode::expired, "expired"},
    {ErrorCode::unsupported, "unsupported"},
}};

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
    for (const auto& [value, name] : kNames) {
        if (value == code) {
            return name;
        }
    }
    return "schema";  // unreachable for valid enumerators
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept {
    for (const auto& [value, name] : kNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace outpost::protocol
