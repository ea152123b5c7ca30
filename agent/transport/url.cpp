#include "agent/transport/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace outpost::transport {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

uint16_t default_port(std::string_view scheme) {
    return (scheme == "wss" || scheme == "https") ? 443 : 80;
}

bool valid_host_char(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string Url::host_header() const {
    const bool v6 = host.find(':') != std::string::npos;
    // Appended piece by piece: g++ 12 at -O3 warns -Wrestrict (a false
    // positive, GCC PR105329) on `"[" + host + "]"` and `":" + port`.
    std::string h;
    h.reserve(host.size() + 8);
    if (v6) h += '[';
    h += host;
    if (v6) h += ']';
    if (port != default_port(scheme)) {
        h += ':';
        h += std::to_string(port);
    }
    return h;
}

Expected<Url> parse_url(std::string_view text) {
    Url url;
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) return fail("URL has no scheme: " + std::string(text));
    url.scheme = lower(text.substr(0, sep));
    if (url.scheme != "ws" && url.scheme != "wss" && url.scheme != "http" && url.scheme != "https")
        return fail("unsupported URL scheme '" + url.scheme + "'");
    url.tls = url.scheme == "wss" || url.scheme == "https";

    std::string_view rest = text.substr(sep + 3);
    if (rest.find('#') != std::string_view::npos) return fail("URL must not have a fragment");
    const auto path_at = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_at);
    url.path = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
    if (url.path.front() == '?') url.path.insert(url.path.begin(), '/');
    if (authority.find('@') != std::string_view::npos)
        return fail("URL must not carry credentials (user-info)");

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail("URL has an unclosed IPv6 literal");
        url.host = lower(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("URL has junk after the IPv6 literal");
            port_text = after.substr(1);
        }
        const bool ok = !url.host.empty() && std::ranges::all_of(url.host, [](unsigned char c) {
            return std::isxdigit(c) || c == ':' || c == '.';
        });
        if (!ok) return fail("URL has an invalid IPv6 literal");
    } else {
        const auto colon = authority.rfind(':');
        url.host = lower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
        if (!std::ranges::all_of(url.host, valid_host_char))
            return fail("URL host has invalid characters");
    }
    if (url.host.empty()) return fail("URL has no host");

    url.port = default_port(url.scheme);
    if (!port_text.empty() || authority.ends_with(':')) {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            return fail("URL has an invalid port '" + std::string(port_text) + "'");
        url.port = static_cast<uint16_t>(value);
    }
    return url;
}

}  // namespace outpost::transport
