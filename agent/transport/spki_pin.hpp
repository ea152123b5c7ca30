#pragma once
// SPKI pins (protocol.md §1 `server.pin_sha256`): base64 SHA-256 of the DER
// SubjectPublicKeyInfo, the same format as HPKP and `openssl ... | base64`.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/transport/tls_settings.hpp"

namespace outpost::transport {

// Standard base64 with padding (44 characters); also accepts base64url.
[[nodiscard]] Expected<SpkiPin> parse_pin(std::string_view base64);
[[nodiscard]] std::string format_pin(const SpkiPin& pin);

[[nodiscard]] SpkiPin spki_sha256(std::span<const uint8_t> der_spki);

[[nodiscard]] bool pin_matches(const SpkiPin& actual, const std::vector<SpkiPin>& allowed);

}  // namespace outpost::transport
