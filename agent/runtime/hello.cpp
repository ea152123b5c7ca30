#include "agent/runtime/hello.hpp"

#include "agent/common/version.hpp"
#include "collectors/host_info.hpp"

namespace outpost::runtime {

protocol::outbound::Hello build_hello(const config::Config& /*config*/,
                                      const auth::Identity& identity) {
    protocol::outbound::Hello hello;
    hello.node_id = identity.node_id;
    hello.agent_version = std::string(kAgentVersion);
    // Commands, telemetry and health arrive with their issues; until then the
    // session layer is all this agent speaks, and it says so.
    hello.capabilities = {};
    auto host = collectors::collect_host_info();
    hello.host = {host.hostname, host.os,         host.kernel,
                  host.arch,     host.machine_id, host.boot_id};
    hello.backlog = {0, 0};
    return hello;
}

}  // namespace outpost::runtime
