#pragma once
// One small unit per subcommand, each returning an exit code (see main.hpp).
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli/options.hpp"

namespace outpost::cli {

struct CommandContext {
    Options options;
    std::ostream& out;
    std::ostream& err;
};

struct Command {
    std::string_view name;
    std::string_view summary;
    OptionRules accepts;
    int (*execute)(const CommandContext&);
};

int cmd_version(const CommandContext&);
int cmd_check_config(const CommandContext&);
int cmd_identity(const CommandContext&);
int cmd_enroll(const CommandContext&);
int cmd_run(const CommandContext&);
int cmd_status(const CommandContext&);
int cmd_metrics(const CommandContext&);
int cmd_journal(const CommandContext&);
int cmd_commands(const CommandContext&);

// The registry: every subcommand, in the order `outpost --help` lists them.
[[nodiscard]] std::span<const Command> all_commands();

}  // namespace outpost::cli
