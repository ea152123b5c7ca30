#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/common/version.hpp"

namespace outpost::cli {

int cmd_version(const CommandContext& ctx) {
    ctx.out << "outpost " << kAgentVersion << "\n";
    return kExitOk;
}

}  // namespace outpost::cli
