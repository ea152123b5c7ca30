#include "agent/runtime/banner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/common/version.hpp"

namespace outpost::runtime {
namespace {

// The names the config file uses (auth.mode).
std::string_view auth_mode_name(config::AuthMode mode) {
    switch (mode) {
        case config::AuthMode::jwt:
            return "jwt";
        case config::AuthMode::exchange:
            return "exchange";
        case config::AuthMode::static_token:
            return "static_token";
    }
    return "unknown";
}

std::string sandbox_text(const protocol::outbound::SandboxReport& sandbox) {
    std::string text =
        sandbox.active.empty() ? "none" : fmt::format("{}", fmt::join(sandbox.active, " "));
    if (!sandbox.unavailable.empty()) {
        text += " (unavailable:";
        for (const auto& [protection, why] : sandbox.unavailable) text += " " + protection;
        text += ")";
    }
    return text;
}

}  // namespace

std::string without_userinfo(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const auto authority = scheme_end + 3;
    const auto path = url.find_first_of("/?#", authority);
    const auto at = url.rfind('@', path == std::string_view::npos ? url.size() : path);
    if (at == std::string_view::npos || at < authority) return std::string(url);
    return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1));
}

std::string startup_banner(const BannerFacts& facts) {
    const config::Config& config = facts.config;
    return fmt::format(
        "outpost {} (build {}) starting: node {}, protocol {}, auth {}, server {}{}, config {}, "
        "sandbox: {}",
        kAgentVersion, build_id(), facts.node_id, protocol::outbound::kProtocolV1,
        auth_mode_name(config.auth.mode), without_userinfo(config.server.url),
        config.server.proxy ? " via a proxy" : "", facts.config_path, sandbox_text(facts.sandbox));
}

}  // namespace outpost::runtime
