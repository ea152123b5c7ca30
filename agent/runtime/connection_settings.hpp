#pragma once
// Maps the typed config onto the plain settings of the transport and the
// session policy, which know nothing of the config module.

#include "agent/config/config.hpp"
#include "agent/session/fallback.hpp"
#include "agent/session/settings.hpp"
#include "agent/session/token_timing.hpp"
#include "agent/transport/proxy.hpp"
#include "agent/transport/tls_settings.hpp"
#include "agent/transport/ws_connection.hpp"

namespace outpost::runtime {

[[nodiscard]] transport::TlsSettings tls_settings(const config::Config& config);

// The proxy is resolved here (server.proxy, else https_proxy unless no_proxy
// excludes the host), so logs can say which one is used and why.
[[nodiscard]] transport::ConnectSettings connect_settings(const config::Config& config,
                                                          const std::string& node_id,
                                                          const transport::ProxyEnv& env);

// The polling fallback's (protocol.md §7): the same as the WebSocket's but
// for server.poll_url (its own proxy choice, for its host) and the poll
// interval. Meaningful only when server.poll_url is set.
[[nodiscard]] transport::ConnectSettings poll_connect_settings(const config::Config& config,
                                                               const std::string& node_id,
                                                               const transport::ProxyEnv& env);
// §7 settings of the fallback policy.
[[nodiscard]] session::FallbackSettings fallback_settings(const config::Config& config);

// server.url is ws:// (allowed only with server.insecure_plaintext).
[[nodiscard]] bool plaintext_server(const config::Config& config);
// What the agent says about it at start, in `outpost status` and in
// status{online}'s reason (protocol.md §1).
[[nodiscard]] std::string plaintext_warning();

// The size every sender cuts a message to (results' output, telemetry
// splits, the journal's stored output, the outbox): protocol.max_message_bytes,
// or while sealing (security.server_seal_key, protocol.md §8: the limit
// applies to the outer message) the largest inner message whose sealed
// form still fits it; with server.poll_url, one that also fits alone in a
// poll's body (§7: the limit applies to the whole body).
[[nodiscard]] std::size_t outbound_message_limit(const config::Config& config);

[[nodiscard]] session::ReconnectSettings reconnect_settings(const config::Config& config);
[[nodiscard]] session::TokenMode token_mode(const config::Config& config);

}  // namespace outpost::runtime
