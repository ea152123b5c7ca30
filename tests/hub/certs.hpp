#pragma once
// Test PKI made at test time (`outpost-hub gen-certs --dir D`):
//   ca.pem/ca.key             the test CA
//   server.pem/server.key     localhost + 127.0.0.1, signed by the CA
//   client.pem/client.key     for mTLS, signed by the CA
//   other-ca.pem/other-ca.key an unrelated CA (wrong-CA tests)
//   server.spki-sha256        base64 SHA-256 of the server's SubjectPublicKeyInfo
// Keys are ECDSA P-256, files holding private keys are mode 0600.

#include <string>

#include "agent/common/error.hpp"

namespace outpost::hub {

[[nodiscard]] Expected<void> generate_test_pki(const std::string& dir);

// True when DIR already holds what `--certs-dir` needs.
[[nodiscard]] bool test_pki_present(const std::string& dir);

}  // namespace outpost::hub
