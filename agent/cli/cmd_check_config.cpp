#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/common/printable.hpp"
#include "agent/config/loader.hpp"
#include "agent/runtime/allow_list_policy.hpp"

namespace outpost::cli {

int cmd_check_config(const CommandContext& ctx) {
    // The path and the messages may hold bytes from the file or the command
    // line: printable() keeps terminal controls from reaching the terminal.
    const std::string path = printable(ctx.options.config_path);
    auto loaded = config::load_config_file(ctx.options.config_path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            ctx.err << config::format_issue(issue) << "\n";
        }
        ctx.err << loaded.error().size() << (loaded.error().size() == 1 ? " error" : " errors")
                << " in " << path << "\n";
        return kExitUsage;
    }
    // The allow-list is checked like at start-up: trusted paths, users, regexes.
    if (auto allow_list = runtime::make_allow_list_policy(*loaded); !allow_list) {
        ctx.err << path << ": executor.commands: " << printable(allow_list.error().message())
                << "\n";
        return kExitUsage;
    }
    ctx.out << "OK\n";
    return kExitOk;
}

}  // namespace outpost::cli
