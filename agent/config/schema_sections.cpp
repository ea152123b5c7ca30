// The schema: one table per section, one row per key (name, member, type and
// range, default, description). Validation, defaults, the example config and
// the key list all come from these rows; rules.cpp adds the rules that
// relate several keys.

#include <chrono>

#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;
constexpr std::uint64_t GiB = 1024 * MiB;

std::vector<Field<ServerConfig>> server_table() {
    using S = ServerConfig;
    return {
        key("url", &S::url, url_with_scheme({"wss", "ws"}),
            required("wss://hub.example.com/v1/agent"),
            "WebSocket URL of the control plane. ws:// (no TLS) only with insecure_plaintext."),
        key("ca_file", &S::ca_file, absolute_path(), optional("/etc/outpost/ca.pem"),
            "PEM file of CA certificates to verify the server with, instead of the system "
            "trust store."),
        key("pin_sha256", &S::pin_sha256,
            base64_32_bytes(Base64Alphabet::standard, "a SHA-256 digest"),
            optional(R"(["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="])"),
            "SPKI pins: base64 SHA-256 of the server's SubjectPublicKeyInfo. When set, a "
            "verified chain that matches none of them is rejected."),
        key("client_cert", &S::client_cert, absolute_path(), optional("/etc/outpost/client.pem"),
            "PEM client certificate for mutual TLS; needs client_key."),
        key("client_key", &S::client_key, absolute_path(), optional("/etc/outpost/client.key"),
            "PEM private key of client_cert; needs client_cert."),
        key("insecure_plaintext", &S::insecure_plaintext, boolean(), defaults_to("false"),
            "Allow ws:// and http:// URLs (no TLS). For tests and local demos only."),
        key("proxy", &S::proxy, url_with_scheme({"http"}, true),
            optional("http://proxy.example.com:3128"),
            "HTTP CONNECT proxy. When absent, https_proxy/HTTPS_PROXY (and no_proxy) apply."),
        key("poll_url", &S::poll_url, url_with_scheme({"https", "http"}),
            optional("https://hub.example.com/v1/poll"),
            "HTTPS polling endpoint, used when WebSocket upgrades keep failing "
            "(http:// only with insecure_plaintext)."),
        key("poll_after", &S::poll_after, duration_in(10s, 24h), defaults_to("5m"),
            "How long WebSocket upgrades must fail before falling back to polling."),
        key("poll_interval", &S::poll_interval, duration_in(1s, 1h), defaults_to("15s"),
            "Time between polls while polling."),
        key("transport", &S::transport,
            one_of<Transport>({{"websocket", Transport::websocket}, {"poll", Transport::poll}}),
            defaults_to("websocket"),
            "`poll` polls from the start (needs poll_url) and moves to the WebSocket once one "
            "comes up."),
    };
}

std::vector<Field<AuthConfig>> auth_table() {
    using A = AuthConfig;
    return {
        key("mode", &A::mode,
            one_of<AuthMode>({{"jwt", AuthMode::jwt},
                              {"exchange", AuthMode::exchange},
                              {"static", AuthMode::static_token}}),
            defaults_to("jwt"),
            "Token source: a self-signed JWT, a JWT exchanged at token_url, or a static "
            "bearer secret read from token_file."),
        key("audience", &A::audience, free_text(1, 1024),
            derived("same as server.url", "wss://hub.example.com/v1/agent"),
            "`aud` claim of the JWTs the agent signs."),
        key("token_ttl", &A::token_ttl, duration_in(1min, 24h), defaults_to("1h"),
            "Lifetime of the JWTs the agent signs."),
        key("token_url", &A::token_url, url_with_scheme({"https", "http"}),
            optional("https://hub.example.com/v1/token"),
            "Token endpoint for mode `exchange` (required then); http:// only with "
            "server.insecure_plaintext."),
        key("token_file", &A::token_file, absolute_path(), optional("/etc/outpost/token"),
            "File holding the bearer secret for mode `static` (required then); re-read before "
            "each connection attempt."),
    };
}

std::vector<Field<SecurityConfig>> security_table() {
    using S = SecurityConfig;
    return {
        key("command_public_key", &S::command_public_key,
            base64_32_bytes(Base64Alphabet::url, "an Ed25519 public key"),
            optional("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),
            "Control plane's Ed25519 public key (base64url). When set, commands must arrive "
            "signed with it."),
        key("server_seal_key", &S::server_seal_key,
            base64_32_bytes(Base64Alphabet::url, "an X25519 public key"),
            optional("NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ"),
            "Control plane's X25519 public key (base64url). When set, every message after "
            "hello is sealed to it with ChaCha20-Poly1305 (protocol.md §8)."),
    };
}

std::vector<Field<ReconnectConfig>> reconnect_table() {
    using R = ReconnectConfig;
    return {
        key("initial", &R::initial, duration_in(100ms, 10min), defaults_to("1s"),
            "Backoff cap of the first reconnect attempt; doubles per failed attempt."),
        key("max", &R::max, duration_in(1s, 1h), defaults_to("60s"),
            "Largest backoff between attempts; at least `initial`."),
        key("revoked_interval", &R::revoked_interval, duration_in(1min, 7 * 24h),
            defaults_to("15m"), "Retry interval once the node is revoked (close code 4003)."),
        key("incompatible_interval", &R::incompatible_interval, duration_in(1min, 7 * 24h),
            defaults_to("15m"), "Retry interval after a protocol version mismatch."),
    };
}

std::vector<Field<TelemetryConfig>> telemetry_table() {
    return {key("interval", &TelemetryConfig::interval, duration_in(1s, 24h), defaults_to("60s"),
                "Time between telemetry samples. Changeable at runtime.")};
}

std::vector<Field<HealthConfig>> health_table() {
    return {key("interval", &HealthConfig::interval, duration_in(10s, 24h), defaults_to("5m"),
                "Time between health reports. Changeable at runtime.")};
}

std::vector<Field<OutboxConfig>> outbox_table() {
    using O = OutboxConfig;
    return {
        key("max_messages", &O::max_messages, count_in(1, 10'000'000), defaults_to("10000"),
            "Messages kept while disconnected; the oldest telemetry goes first."),
        key("max_bytes", &O::max_bytes, size_in(64 * KiB, 16 * GiB), defaults_to("16MiB"),
            "Bytes kept while disconnected; at least protocol.max_message_bytes."),
        key("flush_rate", &O::flush_rate, count_in(1, 10'000), defaults_to("50"),
            "Messages per second sent from the outbox after reconnecting."),
    };
}

std::vector<Field<JournalConfig>> journal_table() {
    using J = JournalConfig;
    return {
        key("retention", &J::retention, duration_in(1h, 365 * 24h), defaults_to("7d"),
            "How long finished commands are remembered (duplicate request_ids are refused)."),
        key("sync", &J::sync,
            one_of<JournalSync>({{"full", JournalSync::full}, {"normal", JournalSync::normal}}),
            defaults_to("full"), "SQLite synchronous mode of the command journal."),
    };
}

std::vector<Field<ProtocolConfig>> protocol_table() {
    return {key("max_message_bytes", &ProtocolConfig::max_message_bytes, size_in(4 * KiB, 64 * MiB),
                defaults_to("1MiB"), "Largest message sent or accepted, both directions.")};
}

std::vector<Field<NodeConfig>> node_table() {
    using N = NodeConfig;
    return {
        key("id", &N::id, name_token("._:-", 128), optional("edge-berlin-01"),
            "Node id; when absent a UUID is generated once and kept in state_dir."),
        key("state_dir", &N::state_dir, absolute_path(), defaults_to("/var/lib/outpost"),
            "Directory of the identity key, journal and outbox."),
    };
}

std::vector<Field<StatusConfig>> status_table() {
    return {key("socket", &StatusConfig::socket, absolute_path(),
                defaults_to("/run/outpost/status.sock"),
                "Unix socket `outpost status` reads the agent's state from.")};
}

std::vector<Field<LoggingConfig>> logging_table() {
    using L = LoggingConfig;
    return {
        key("level", &L::level,
            one_of<LogLevel>({{"trace", LogLevel::trace},
                              {"debug", LogLevel::debug},
                              {"info", LogLevel::info},
                              {"warn", LogLevel::warn},
                              {"error", LogLevel::error}}),
            defaults_to("info"), "Least severe level logged. Changeable at runtime."),
        key("format", &L::format,
            one_of<LogFormat>({{"text", LogFormat::text}, {"json", LogFormat::json}}),
            defaults_to("text"), "Log line format."),
    };
}

std::vector<Field<Config>> build_root_table() {
    using C = Config;
    return {
        section("server", &C::server, server_table(), "Connection to the control plane."),
        section("auth", &C::auth, auth_table(), "How the agent authenticates."),
        section("security", &C::security, security_table(), "Signed commands and sealed messages."),
        section("reconnect", &C::reconnect, reconnect_table(),
                "Reconnect backoff (exponential, full jitter)."),
        section("telemetry", &C::telemetry, telemetry_table(), "System telemetry."),
        section("collectors", &C::collectors, collectors_table(),
                "What each telemetry sample holds: one sub-section per collector."),
        section("health", &C::health, health_table(), "Health reports."),
        section("outbox", &C::outbox, outbox_table(),
                "Durable queue of telemetry, alerts and health while disconnected."),
        section("journal", &C::journal, journal_table(), "Command journal."),
        section("protocol", &C::protocol, protocol_table(), "Wire protocol limits."),
        section("node", &C::node, node_table(), "This node."),
        section("status", &C::status, status_table(), "Local status endpoint."),
        section("metrics", &C::metrics, metrics_table(), "Prometheus metrics (docs/metrics.md)."),
        section("logging", &C::logging, logging_table(), "Logging."),
        section("executor", &C::executor, executor_table(), "Command execution."),
        alerts_row(),
        logs_row(),
    };
}

void collect_paths(const std::vector<KeyDoc>& docs, const std::string& prefix,
                   std::vector<std::string>& out) {
    for (const auto& doc : docs) {
        const std::string path = prefix + doc.key;
        if (doc.presence == Presence::section) {
            collect_paths(doc.children, path + ".", out);
            continue;
        }
        out.push_back(path);
        if (doc.presence == Presence::entries) {
            collect_paths(doc.children, path + "[].", out);
        }
    }
}

}  // namespace

const std::vector<Field<Config>>& root_table() {
    static const std::vector<Field<Config>> table = build_root_table();
    return table;
}

const std::vector<KeyDoc>& schema_docs() {
    static const std::vector<KeyDoc> docs = docs_of(root_table());
    return docs;
}

std::vector<std::string> all_key_paths() {
    std::vector<std::string> paths;
    collect_paths(schema_docs(), "", paths);
    return paths;
}

}  // namespace outpost::config
