// Per-key checks of each section: what a key accepts and refuses.

#include <catch2/catch.hpp>

#include <string>

#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

namespace {

// `section: {key: value}` added to the minimal config.
LoadResult with_value(const std::string& section, const std::string& key,
                      const std::string& value) {
    if (section == "server") {
        return load(std::string(kMinimal) + "  " + key + ": " + value + "\n");
    }
    return load_with(section + ":\n  " + key + ": " + value + "\n");
}

void accepts(const std::string& section, const std::string& key, const std::string& value) {
    auto result = with_value(section, key, value);
    INFO(section << "." << key << ": " << value);
    if (!result) {
        INFO(describe(result.error()));
    }
    CHECK(result.has_value());
}

void refuses(const std::string& section, const std::string& key, const std::string& value) {
    auto result = with_value(section, key, value);
    INFO(section << "." << key << ": " << value);
    REQUIRE_FALSE(result.has_value());
    CHECK(has_issue(result.error(), section + "." + key));
}

}  // namespace

TEST_CASE("server.url takes wss:// (and ws:// only with insecure_plaintext)", "[config][server]") {
    CHECK(load("server:\n  url: wss://h:8443/x\n").has_value());
    CHECK_FALSE(load("server:\n  url: https://h/x\n").has_value());
    CHECK_FALSE(load("server:\n  url: hub.example.com\n").has_value());
    auto plain = load("server:\n  url: ws://localhost:8080/v1/agent\n  insecure_plaintext: true\n");
    REQUIRE(plain.has_value());
    CHECK(plain->server.insecure_plaintext);
}

TEST_CASE("server.ca_file, client_cert and client_key are absolute paths", "[config][server]") {
    accepts("server", "ca_file", "/etc/outpost/ca.pem");
    refuses("server", "ca_file", "ca.pem");
    refuses("server", "ca_file", "[/a]");
}

TEST_CASE("server.pin_sha256 is a list of base64 SHA-256 digests", "[config][server]") {
    auto result =
        with_value("server", "pin_sha256", "[\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"]");
    REQUIRE(result.has_value());
    REQUIRE(result->server.pin_sha256.size() == 1);
    CHECK(result->server.pin_sha256[0][0] == 0xe3);
    auto short_pin = with_value("server", "pin_sha256", "[aGVsbG8=]");
    CHECK(has_issue(issues_of(short_pin), "server.pin_sha256[0]", "decodes to 5 bytes, not 32"));
    auto second = with_value("server", "pin_sha256",
                             "[47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=, \"not base64!\"]");
    CHECK(has_issue(issues_of(second), "server.pin_sha256[1]"));
    refuses("server", "pin_sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST_CASE("server.insecure_plaintext is a bool", "[config][server]") {
    accepts("server", "insecure_plaintext", "false");
    refuses("server", "insecure_plaintext", "yes");
    refuses("server", "insecure_plaintext", "1");
}

TEST_CASE("server.proxy is http://host:port", "[config][server]") {
    auto result = with_value("server", "proxy", "http://proxy.example.com:3128");
    REQUIRE(result.has_value());
    CHECK(result->server.proxy == "http://proxy.example.com:3128");
    refuses("server", "proxy", "http://proxy.example.com");
    refuses("server", "proxy", "https://proxy.example.com:3128");
    refuses("server", "proxy", "proxy:3128");
}

TEST_CASE("server poll settings", "[config][server]") {
    accepts("server", "poll_url", "https://hub.example.com/v1/poll");
    refuses("server", "poll_url", "wss://hub.example.com/v1/poll");
    accepts("server", "poll_after", "10m");
    refuses("server", "poll_after", "1s");
    refuses("server", "poll_after", "2d");
    accepts("server", "poll_interval", "1s");
    refuses("server", "poll_interval", "500ms");
    refuses("server", "poll_interval", "15");
    refuses("server", "transport", "carrier-pigeon");
}

TEST_CASE("auth keys", "[config][auth]") {
    auto exchange = load_with("auth:\n  mode: exchange\n  token_url: https://hub.example.com/t\n");
    REQUIRE(exchange.has_value());
    CHECK(exchange->auth.mode == AuthMode::exchange);
    auto fixed = load_with("auth:\n  mode: static\n  token_file: /etc/outpost/token\n");
    REQUIRE(fixed.has_value());
    CHECK(fixed->auth.mode == AuthMode::static_token);
    refuses("auth", "mode", "oauth");
    accepts("auth", "token_ttl", "3600s");
    refuses("auth", "token_ttl", "10s");
    refuses("auth", "token_ttl", "2d");
    refuses("auth", "token_url", "ftp://x/y");
    refuses("auth", "token_file", "token");
    refuses("auth", "audience", "\"\"");
}

TEST_CASE("auth.audience overrides the default of server.url", "[config][auth]") {
    auto result = load_with("auth:\n  audience: outpost-hub\n");
    REQUIRE(result.has_value());
    CHECK(result->auth.audience == "outpost-hub");
}

TEST_CASE("security.command_public_key is 32 bytes of base64url", "[config][security]") {
    auto result =
        with_value("security", "command_public_key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
    REQUIRE(result.has_value());
    REQUIRE(result->security.command_public_key.has_value());
    CHECK((*result->security.command_public_key)[31] == 31);
    refuses("security", "command_public_key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A");
    refuses("security", "command_public_key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+/");
    refuses("security", "command_public_key", "aGVsbG8");
}

TEST_CASE("security.server_seal_key is 32 bytes of base64url", "[config][security]") {
    // S of docs/sealing.md's test vectors.
    auto result =
        with_value("security", "server_seal_key", "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ");
    REQUIRE(result.has_value());
    REQUIRE(result->security.server_seal_key.has_value());
    CHECK((*result->security.server_seal_key)[0] == 0x35);
    CHECK((*result->security.server_seal_key)[31] == 0x54);
    refuses("security", "server_seal_key",
            "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQA");  // 33 bytes
    refuses("security", "server_seal_key",
            "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYl");  // 31 + bits
    // Padding is accepted, as for every base64url key (§8: "a receiver accepts either").
    CHECK(with_value("security", "server_seal_key", "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ=")
              ->security.server_seal_key == result->security.server_seal_key);
    refuses("security", "server_seal_key",
            "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WY+Q");  // not url
    refuses("security", "server_seal_key", "aGVsbG8");
}

TEST_CASE("reconnect ranges", "[config][reconnect]") {
    accepts("reconnect", "initial", "500ms");
    refuses("reconnect", "initial", "10ms");
    refuses("reconnect", "initial", "1h");
    accepts("reconnect", "max", "5m");
    refuses("reconnect", "max", "2h");
    accepts("reconnect", "revoked_interval", "1h");
    refuses("reconnect", "revoked_interval", "10s");
    accepts("reconnect", "incompatible_interval", "7d");
    refuses("reconnect", "incompatible_interval", "8d");
}

TEST_CASE("telemetry and health intervals", "[config][telemetry][health]") {
    auto result = load_with("telemetry:\n  interval: 500ms\n");
    CHECK(has_issue(issues_of(result), "telemetry.interval", "below the minimum 1s"));
    accepts("telemetry", "interval", "1s");
    refuses("telemetry", "interval", "2d");
    accepts("health", "interval", "300s");
    refuses("health", "interval", "5s");
}

TEST_CASE("outbox limits", "[config][outbox]") {
    auto result = load_with("outbox:\n  max_messages: 500\n  max_bytes: 2MiB\n  flush_rate: 10\n");
    REQUIRE(result.has_value());
    CHECK(result->outbox.max_messages == 500);
    CHECK(result->outbox.max_bytes == 2ULL << 20);
    CHECK(result->outbox.flush_rate == 10);
    refuses("outbox", "max_messages", "0");
    refuses("outbox", "max_messages", "1e4");
    refuses("outbox", "max_bytes", "1KiB");
    refuses("outbox", "max_bytes", "16MB");
    refuses("outbox", "flush_rate", "0");
    refuses("outbox", "flush_rate", "-5");
}

TEST_CASE("journal settings", "[config][journal]") {
    auto result = load_with("journal:\n  retention: 168h\n  sync: normal\n");
    REQUIRE(result.has_value());
    CHECK(result->journal.retention == 7 * 24h);
    CHECK(result->journal.sync == JournalSync::normal);
    refuses("journal", "retention", "30m");
    refuses("journal", "retention", "400d");
    refuses("journal", "sync", "off");
}

TEST_CASE("protocol.max_message_bytes range", "[config][protocol]") {
    accepts("protocol", "max_message_bytes", "4KiB");
    accepts("protocol", "max_message_bytes", "65536");
    refuses("protocol", "max_message_bytes", "4095");
    refuses("protocol", "max_message_bytes", "65MiB");
}

TEST_CASE("node.id and node.state_dir", "[config][node]") {
    auto result = with_value("node", "id", "edge-01.berlin:a_b");
    REQUIRE(result.has_value());
    CHECK(result->node.id == "edge-01.berlin:a_b");
    accepts("node", "id", std::string(128, 'a'));
    refuses("node", "id", std::string(129, 'a'));
    refuses("node", "id", "\"has space\"");
    refuses("node", "id", "\"\"");
    refuses("node", "id", "a/b");
    refuses("node", "state_dir", "var/lib/outpost");
    refuses("status", "socket", "status.sock");
}

TEST_CASE("logging level and format", "[config][logging]") {
    auto result = load_with("logging:\n  level: debug\n  format: json\n");
    REQUIRE(result.has_value());
    CHECK(result->logging.level == LogLevel::debug);
    CHECK(result->logging.format == LogFormat::json);
    refuses("logging", "level", "INFO");
    refuses("logging", "format", "xml");
}

TEST_CASE("scalars quoted in YAML are read like plain ones", "[config][loader]") {
    auto result = load_with("telemetry:\n  interval: \"30s\"\n");
    REQUIRE(result.has_value());
    CHECK(result->telemetry.interval == 30s);
}
