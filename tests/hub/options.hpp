#pragma once
// Command-line options of `outpost-hub` (serve) and `outpost-hub gen-certs`.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::hub {

enum class OutputMode { json, human, quiet };

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string port_file;
    bool plaintext = false;
    std::string certs_dir;
    std::string cert_file;
    std::string key_file;
    std::string client_ca_file;
    bool require_client_cert = false;
    bool no_subprotocol = false;
    std::string select_subprotocol;       // named in the 101 instead of outpost.v1 (≤ 15 bytes)
    std::vector<std::string> agent_keys;  // "[node_id=]key"
    std::vector<std::string> static_tokens;
    std::string audience;
    bool no_auth = false;
    int64_t leeway_s = 0;
    int64_t token_ttl_s = 300;
    int64_t heartbeat_s = 30;
    std::optional<int64_t> telemetry_s;
    std::optional<int64_t> reconnect_spread_s;  // welcome.reconnect_spread_s when set
    int64_t hello_timeout_s = 10;
    int64_t max_message_bytes = 1 << 20;
    bool auto_ack = true;
    bool read_stdin = true;
    OutputMode output = OutputMode::json;
    bool verbose = false;
    std::string seal_key_file;  // --seal-key: the server's X25519 private key (§8)
    bool help = false;
};

struct GenCertsOptions {
    std::string dir;
    bool help = false;
};

struct GenSealKeyOptions {
    std::string out;
    bool help = false;
};

[[nodiscard]] Expected<Options> parse_options(std::span<char* const> args);
[[nodiscard]] Expected<GenCertsOptions> parse_gen_certs_options(std::span<char* const> args);
[[nodiscard]] Expected<GenSealKeyOptions> parse_gen_seal_key_options(std::span<char* const> args);
[[nodiscard]] std::string usage();

}  // namespace outpost::hub
