#pragma once
// TLS settings shared by WsConnection and HttpsPost. Plain data: the agent's
// glue maps `server.*` config keys into it, so transport never depends on the
// config module.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace outpost::transport {

// SHA-256 of a DER SubjectPublicKeyInfo (protocol.md §1 `server.pin_sha256`).
using SpkiPin = std::array<uint8_t, 32>;

struct TlsSettings {
    // Trust ONLY this CA bundle (PEM) when set; otherwise the system store.
    std::optional<std::string> ca_file;
    // When non-empty, a verified chain must also match one of these pins.
    std::vector<SpkiPin> spki_pins;
    // mTLS: both or neither.
    std::optional<std::string> client_cert, client_key;
    // Allows ws:// / http:// (tests, local demos); never disables verification
    // of a wss:// URL.
    bool insecure_plaintext = false;
};

}  // namespace outpost::transport
