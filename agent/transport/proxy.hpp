#pragma once
// Which HTTP CONNECT proxy (if any) to use for a host (protocol.md §1). Pure:
// the environment is passed in, so the rules are testable.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::transport {

struct ProxyEnv {
    std::optional<std::string> https_proxy;        // `https_proxy`, preferred
    std::optional<std::string> https_proxy_upper;  // `HTTPS_PROXY`
    std::optional<std::string> no_proxy;           // `no_proxy`, preferred
    std::optional<std::string> no_proxy_upper;     // `NO_PROXY`

    // Reads the four variables from the process environment.
    [[nodiscard]] static ProxyEnv from_environment();
};

// curl-style no_proxy matching: entries separated by ',' (blanks trimmed,
// case-insensitive); `*` matches every host; an entry matches the host itself
// and, with or without a leading '.', every subdomain ("example.com" matches
// "hub.example.com" but not "badexample.com"); a ":port" on an entry is
// ignored; IP literals match exactly (no CIDR ranges).
[[nodiscard]] bool no_proxy_matches(std::string_view host, std::string_view no_proxy_list);

// The proxy for `url_host`:
//  1. `config_proxy` (`server.proxy`) when set — explicit configuration wins
//     over the environment and is not subject to the environment's no_proxy;
//  2. else `https_proxy`, else `HTTPS_PROXY`, unless `no_proxy` (or, when that
//     is unset, `NO_PROXY`) matches the host.
// An empty variable counts as unset. Returns "http://host:port" or nullopt.
[[nodiscard]] std::optional<std::string> resolve_proxy(
    std::string_view url_host, const std::optional<std::string>& config_proxy, const ProxyEnv& env);

struct ProxyAddress {
    std::string host;  // without brackets
    unsigned port = 0;
    std::string user_info;  // "user:pw" or empty (sent as Proxy-Authorization by lws)

    // The "[user:pw@]host:port" form lws_set_proxy() expects.
    [[nodiscard]] std::string lws_form() const;
};

// Accepts "http://[user:pw@]host:port[/]" or "host:port"; rejects https://
// proxies (lws 4.1 cannot speak TLS to a proxy) and a missing port.
[[nodiscard]] Expected<ProxyAddress> parse_proxy(std::string_view proxy);

}  // namespace outpost::transport
