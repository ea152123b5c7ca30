#pragma once
// The start-up banner: the one log line that says what is running here, for
// an operator reading the journal or quoting it in a ticket: version and
// build, the protocol, how the agent authenticates and to which server, the
// config file, and the sandbox protections this host really has. It carries
// no secret: no token, key or proxy URL (a proxy URL may hold a password),
// and the server URL without any user:password part.

#include <string>
#include <string_view>

#include "agent/config/config.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::runtime {

struct BannerFacts {
    std::string_view node_id;
    std::string_view config_path;
    const config::Config& config;
    const protocol::outbound::SandboxReport& sandbox;  // HostFacts::sandbox
};

[[nodiscard]] std::string startup_banner(const BannerFacts& facts);

// `url` without a `user:password@` part after the scheme.
[[nodiscard]] std::string without_userinfo(std::string_view url);

}  // namespace outpost::runtime
