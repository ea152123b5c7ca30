#include "agent/runtime/hello.hpp"

#include "agent/common/version.hpp"
#include "collectors/host_info.hpp"

namespace outpost::runtime {

protocol::outbound::Hello build_hello(const auth::Identity& identity,
                                      std::vector<std::string> capabilities,
                                      protocol::outbound::Backlog backlog,
                                      std::optional<protocol::outbound::SandboxReport> sandbox) {
    protocol::outbound::Hello hello;
    hello.node_id = identity.node_id;
    hello.agent_version = std::string(kAgentVersion);
    hello.capabilities = std::move(capabilities);
    auto host = collectors::collect_host_info();
    hello.host = {host.hostname, host.os,         host.kernel,
                  host.arch,     host.machine_id, host.boot_id};
    hello.backlog = backlog;
    hello.sandbox = std::move(sandbox);
    return hello;
}

std::vector<std::string> advertised_capabilities(const config::Config& config) {
    std::vector<std::string> caps{"execute", "cancel", "approval", "health", "config_update"};
    if (config.security.command_public_key) caps.emplace_back("signed_commands");
    for (const auto& entry : config.executor.commands) {
        if (entry.name == "deploy") caps.emplace_back("deploy");
        if (entry.name == "update_agent") caps.emplace_back("update_agent");
    }
    return caps;
}

}  // namespace outpost::runtime
