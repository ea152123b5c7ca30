#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/auth/identity.hpp"
#include "agent/config/config.hpp"
#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::runtime {

// The first message of every connection (protocol.md §3.1). Capabilities
// list only what this build really handles: a control plane must not send
// what we would refuse.
[[nodiscard]] protocol::outbound::Hello build_hello(
    const auth::Identity& identity, std::vector<std::string> capabilities,
    protocol::outbound::Backlog backlog, std::optional<protocol::outbound::SandboxReport> sandbox,
    std::optional<protocol::outbound::JournalReport> journal = std::nullopt);

// hello.journal: the open journal's epoch, or, when it was refused, the
// epoch its mark file remembers (if any), marked untrusted.
[[nodiscard]] protocol::outbound::JournalReport journal_report(
    const journal::Journal* opened, const std::filesystem::path& db_path);

// What hello advertises: only what this build handles with this config.
[[nodiscard]] std::vector<std::string> advertised_capabilities(const config::Config& config);

}  // namespace outpost::runtime
