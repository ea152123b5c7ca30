#pragma once
// Client vhosts: lws keeps the CA file, client certificate and HTTP proxy per
// vhost, so each distinct (TLS settings, proxy) pair gets one vhost, created
// on first use and shared by every WsConnection/HttpsPost that uses it.

#include <optional>

#include "agent/common/error.hpp"
#include "agent/transport/proxy.hpp"
#include "agent/transport/tls_settings.hpp"

struct lws_vhost;

namespace outpost::transport {

class EventLoop;

// Loads the CA file, client certificate and key with OpenSSL ourselves: lws
// only logs a CA file that fails to load and then trusts nothing (or, without
// DISABLE_OS_CA_CERTS, the system store) — a silent misconfiguration.
[[nodiscard]] Expected<void> check_tls_files(const TlsSettings& tls);

// The vhost to connect through. Trust is ONLY `tls.ca_file` when set (OS CA
// store disabled), else the system store; TLS 1.2 minimum; `proxy` nullopt
// means direct, even when `http_proxy` is set in the environment (lws would
// otherwise read it by itself).
[[nodiscard]] Expected<lws_vhost*> client_vhost(EventLoop& loop, const TlsSettings& tls,
                                                const std::optional<ProxyAddress>& proxy);

}  // namespace outpost::transport
