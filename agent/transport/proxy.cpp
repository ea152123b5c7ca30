#include "agent/transport/proxy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace outpost::transport {
namespace {

std::optional<std::string> env_var(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
}

bool set(const std::optional<std::string>& v) {
    return v && !v->empty();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::ranges::equal(a, b, [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

// Strips "[v6]" brackets and an entry's optional ":port".
std::string_view entry_host(std::string_view entry) {
    if (entry.starts_with('[')) {
        const auto close = entry.find(']');
        return close == std::string_view::npos ? entry.substr(1) : entry.substr(1, close - 1);
    }
    const auto colon = entry.find(':');
    // More than one ':' is a bare IPv6 literal, which has no port part.
    if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos)
        return entry.substr(0, colon);
    return entry;
}

}  // namespace

ProxyEnv ProxyEnv::from_environment() {
    return ProxyEnv{env_var("https_proxy"), env_var("HTTPS_PROXY"), env_var("no_proxy"),
                    env_var("NO_PROXY")};
}

bool no_proxy_matches(std::string_view host, std::string_view list) {
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view entry = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (entry == "*") return true;
        entry = entry_host(entry);
        while (entry.starts_with('.')) entry.remove_prefix(1);
        if (entry.empty()) continue;
        if (iequals(host, entry)) return true;
        if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
            iequals(host.substr(host.size() - entry.size()), entry))
            return true;
    }
    return false;
}

std::optional<std::string> resolve_proxy(std::string_view url_host,
                                         const std::optional<std::string>& config_proxy,
                                         const ProxyEnv& env) {
    if (set(config_proxy)) return config_proxy;
    const auto& proxy = set(env.https_proxy) ? env.https_proxy : env.https_proxy_upper;
    if (!set(proxy)) return std::nullopt;
    const auto& no_proxy = set(env.no_proxy) ? env.no_proxy : env.no_proxy_upper;
    if (set(no_proxy) && no_proxy_matches(url_host, *no_proxy)) return std::nullopt;
    return proxy;
}

std::string ProxyAddress::lws_form() const {
    std::string out;
    if (!user_info.empty()) out = user_info + "@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return out + ":" + std::to_string(port);
}

Expected<ProxyAddress> parse_proxy(std::string_view proxy) {
    ProxyAddress out;
    std::string_view rest = trim(proxy);
    if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
        if (!iequals(rest.substr(0, sep), "http"))
            return fail("proxy scheme must be http:// (lws 4.1 has no TLS-to-proxy)");
        rest.remove_prefix(sep + 3);
    }
    while (rest.ends_with('/')) rest.remove_suffix(1);
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        out.user_info = std::string(rest.substr(0, at));
        rest.remove_prefix(at + 1);
    }
    std::string_view port_text;
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos || rest.substr(close + 1).size() < 2 ||
            rest[close + 1] != ':')
            return fail("proxy must be host:port");
        out.host = std::string(rest.substr(1, close - 1));
        port_text = rest.substr(close + 2);
    } else {
        const auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) return fail("proxy must be host:port");
        out.host = std::string(rest.substr(0, colon));
        port_text = rest.substr(colon + 1);
    }
    if (out.host.empty() || out.host.find_first_of("/?#") != std::string::npos)
        return fail("proxy has an invalid host");
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), out.port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || out.port == 0 ||
        out.port > 65535)
        return fail("proxy has an invalid port");
    return out;
}

}  // namespace outpost::transport
