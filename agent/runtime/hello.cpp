#include "agent/runtime/hello.hpp"

#include "agent/common/version.hpp"
#include "collectors/host_info.hpp"

namespace outpost::runtime {

protocol::outbound::Hello build_hello(const auth::Identity& identity,
                                      std::vector<std::string> capabilities,
                                      protocol::outbound::Backlog backlog,
                                      std::optional<protocol::outbound::SandboxReport> sandbox,
                                      std::optional<protocol::outbound::JournalReport> journal) {
    protocol::outbound::Hello hello;
    hello.node_id = identity.node_id;
    hello.agent_version = std::string(kAgentVersion);
    hello.capabilities = std::move(capabilities);
    auto host = collectors::collect_host_info();
    hello.host = {host.hostname, host.os, host.kernel, host.arch, host.machine_id, host.boot_id};
    hello.backlog = backlog;
    hello.sandbox = std::move(sandbox);
    hello.journal = std::move(journal);
    return hello;
}

std::vector<std::string> advertised_capabilities(const config::Config& config) {
    // `alerts`: the agent sends `alert` messages and accepts
    // config_update.alerts (protocol.md §3.1).
    std::vector<std::string> caps{"execute", "cancel", "approval",     "telemetry",
                                  "health",  "alerts", "config_update"};
    if (config.security.command_public_key) caps.emplace_back("signed_commands");
    if (config.security.server_seal_key) caps.emplace_back("sealed");
    // Only an agent with a source to stream (protocol.md §3.3 stream_logs).
    if (!config.logs.sources.empty()) caps.emplace_back("stream_logs");
    for (const auto& entry : config.executor.commands) {
        if (entry.name == "deploy") caps.emplace_back("deploy");
        if (entry.name == "update_agent") caps.emplace_back("update_agent");
    }
    return caps;
}

protocol::outbound::JournalReport journal_report(const journal::Journal* opened,
                                                 const std::filesystem::path& db_path) {
    protocol::outbound::JournalReport report;
    if (opened) {
        report.epoch = opened->mark().epoch;
        report.trusted = true;
        return report;
    }
    auto remembered = journal::read_mark(journal::mark_path(db_path));
    if (remembered && *remembered) report.epoch = (*remembered)->epoch;
    return report;
}

}  // namespace outpost::runtime
