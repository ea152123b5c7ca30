#include "agent/cli/commands.hpp"

#include <array>

namespace outpost::cli {

std::span<const Command> all_commands() {
    static constexpr std::array kCommands{
        Command{"check-config",
                "validate the config file; prints OK or every error",
                {.config = true},
                cmd_check_config},
        Command{"commands",
                "list the journal's commands, newest first (--limit N, --state S, --json)",
                {.config = true, .json = true, .listing = true},
                cmd_commands},
        Command{"enroll",
                "create this node's identity if it has none; print what to register",
                {.config = true},
                cmd_enroll},
        Command{"identity",
                "print this node's id and public key (creates them once)",
                {.config = true},
                cmd_identity},
        Command{"journal",
                "accept-reset: accept a journal that went backwards (agent stopped; new epoch)",
                {.config = true, .action = true},
                cmd_journal},
        Command{"metrics",
                "ask the running agent for its Prometheus metrics (text format 0.0.4)",
                {.config = true, .socket = true},
                cmd_metrics},
        Command{"run",
                "connect to the control plane and serve until stopped",
                {.config = true},
                cmd_run},
        Command{"status",
                "ask the running agent for its state (--json for the raw answer)",
                {.config = true, .json = true, .socket = true},
                cmd_status},
        Command{"version", "print the agent's version", {}, cmd_version},
    };
    return kCommands;
}

}  // namespace outpost::cli
