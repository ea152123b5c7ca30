#pragma once
// A throwaway PKI for the loopback tests, made once per test process with the
// `openssl` CLI in a temp dir (removed at exit): a CA, a server certificate
// for localhost/127.0.0.1 signed by it, and an unrelated second CA.

#include <filesystem>
#include <string>

namespace outpost::transport::test {

struct TestPki {
    std::filesystem::path dir;
    std::string ca_cert, other_ca_cert;
    std::string server_cert, server_key;
    std::string server_pin;    // base64 SHA-256 of the server SPKI, via the CLI
    std::string ca_pin;        // the same for the CA that signed it
    std::string other_ca_pin;  // and for a CA that has nothing to do with it
};

const TestPki& test_pki();

}  // namespace outpost::transport::test
