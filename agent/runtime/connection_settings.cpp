#include "agent/runtime/connection_settings.hpp"

#include "agent/common/version.hpp"
#include "agent/seal/envelope.hpp"
#include "agent/session/policy.hpp"
#include "agent/transport/poll_body.hpp"
#include "agent/transport/url.hpp"

namespace outpost::runtime {

transport::TlsSettings tls_settings(const config::Config& config) {
    transport::TlsSettings tls;
    tls.ca_file = config.server.ca_file;
    tls.spki_pins = config.server.pin_sha256;
    tls.client_cert = config.server.client_cert;
    tls.client_key = config.server.client_key;
    tls.insecure_plaintext = config.server.insecure_plaintext;
    return tls;
}

std::size_t outbound_message_limit(const config::Config& config) {
    std::size_t outer = config.protocol.max_message_bytes;
    if (config.server.poll_url) {
        outer = transport::poll_message_limit(outer, session::protocol_v1);
    }
    return config.security.server_seal_key ? seal::max_inner_bytes(outer) : outer;
}

bool plaintext_server(const config::Config& config) {
    const auto url = transport::parse_url(config.server.url);
    return url && url->scheme == "ws";
}

std::string plaintext_warning() {
    return "the connection to the control plane is not encrypted: server.url is ws:// "
           "(server.insecure_plaintext: true; for tests and local demos only)";
}

transport::ConnectSettings connect_settings(const config::Config& config,
                                            const std::string& node_id,
                                            const transport::ProxyEnv& env) {
    transport::ConnectSettings settings;
    settings.url = config.server.url;
    settings.tls = tls_settings(config);
    std::string host;
    if (auto url = transport::parse_url(config.server.url)) host = url->host;
    settings.proxy = transport::resolve_proxy(host, config.server.proxy, env);
    settings.max_message_bytes = config.protocol.max_message_bytes;
    settings.node_id = node_id;
    settings.user_agent = "outpost/" + std::string(kAgentVersion);
    settings.subprotocols.assign(session::offered_protocols.begin(),
                                 session::offered_protocols.end());
    return settings;
}

transport::ConnectSettings poll_connect_settings(const config::Config& config,
                                                 const std::string& node_id,
                                                 const transport::ProxyEnv& env) {
    transport::ConnectSettings settings = connect_settings(config, node_id, env);
    settings.url = config.server.poll_url.value_or("");
    std::string host;
    if (auto url = transport::parse_url(settings.url)) host = url->host;
    settings.proxy = transport::resolve_proxy(host, config.server.proxy, env);
    settings.poll_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(config.server.poll_interval);
    return settings;
}

session::FallbackSettings fallback_settings(const config::Config& config) {
    session::FallbackSettings settings;
    settings.poll_configured = config.server.poll_url.has_value();
    settings.poll_only = config.server.transport == config::Transport::poll;
    settings.poll_after =
        std::chrono::duration_cast<std::chrono::milliseconds>(config.server.poll_after);
    return settings;
}

session::ReconnectSettings reconnect_settings(const config::Config& config) {
    session::ReconnectSettings settings;
    settings.initial = config.reconnect.initial;
    settings.max = config.reconnect.max;
    settings.revoked_interval = config.reconnect.revoked_interval;
    settings.incompatible_interval = config.reconnect.incompatible_interval;
    settings.poll_fallback = config.server.poll_url.has_value();
    return settings;
}

session::TokenMode token_mode(const config::Config& config) {
    switch (config.auth.mode) {
        case config::AuthMode::jwt:
            return session::TokenMode::jwt;
        case config::AuthMode::exchange:
            return session::TokenMode::exchange;
        case config::AuthMode::static_token:
            return session::TokenMode::static_token;
    }
    return session::TokenMode::jwt;
}

}  // namespace outpost::runtime
