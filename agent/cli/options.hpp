#pragma once
#include <string>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::cli {

inline constexpr const char* kDefaultConfigPath = "/etc/outpost/agent.yaml";

// Options common to the subcommands; each command says which it accepts.
struct Options {
    std::string config_path = kDefaultConfigPath;
    bool help = false;
    bool json = false;
    std::string socket_path;  // --socket; empty: the config's status.socket
    std::string action;       // a command's one word of its own (`journal accept-reset`)
    std::size_t limit = 20;   // --limit N (`outpost commands`)
    std::string state;        // --state S (`outpost commands`); empty: every state
};

struct OptionRules {
    bool config = false;
    bool json = false;
    bool socket = false;
    bool action = false;   // takes one word that is not an option
    bool listing = false;  // --limit N and --state S
};

// The largest --limit: a listing, not an export.
inline constexpr std::size_t kMaxListLimit = 100000;

// Parses the arguments after the subcommand name. The error (invalid_input)
// names the offending argument.
[[nodiscard]] Expected<Options> parse_options(const std::vector<std::string>& args,
                                              OptionRules rules);

}  // namespace outpost::cli
