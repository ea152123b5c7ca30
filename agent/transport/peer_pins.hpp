#pragma once
// The SPKI pin check of a live TLS connection (protocol.md §1: "a chain that
// verifies but matches no pin is rejected"): every certificate of the
// verified chain counts, so a pin may name the server's own key, an
// intermediate's or the CA's (as HPKP pins do). Shared by the WebSocket and
// the token endpoint's HTTPS POST; both call it once TLS is up and before
// any header (the token) is written.

#include <optional>
#include <string>
#include <vector>

#include "agent/transport/tls_settings.hpp"

struct lws;

namespace outpost::transport {

// nullopt: no pins, or a key of the verified chain matches one. Otherwise
// why the connection must be refused (names the server's own key).
[[nodiscard]] std::optional<std::string> peer_pin_failure(lws* wsi,
                                                          const std::vector<SpkiPin>& pins);

}  // namespace outpost::transport
