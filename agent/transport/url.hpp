#pragma once
// Splits a ws/wss/http/https URL into what lws_client_connect_info wants.

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::transport {

struct Url {
    std::string scheme;  // lower-case: "ws", "wss", "http" or "https"
    std::string host;    // without IPv6 brackets, lower-case
    uint16_t port = 0;   // explicit or the scheme's default
    std::string path;    // starts with '/', includes any query string
    bool tls = false;    // wss or https

    // "host" or "host:port" when the port is not the default (Host header, SNI
    // is `host` alone). IPv6 literals get their brackets back.
    [[nodiscard]] std::string host_header() const;
};

// Rejects user-info ("user:pw@host": credentials never go in URLs), fragments,
// empty hosts, bad ports and unknown schemes.
[[nodiscard]] Expected<Url> parse_url(std::string_view text);

}  // namespace outpost::transport
