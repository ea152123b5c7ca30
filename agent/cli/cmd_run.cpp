#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/config/loader.hpp"
#include "agent/runtime/run.hpp"

namespace outpost::cli {

int cmd_run(const CommandContext& ctx) {
    auto loaded = config::load_config_file(ctx.options.config_path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            ctx.err << config::format_issue(issue) << "\n";
        }
        ctx.err << "outpost run: not started: " << ctx.options.config_path << " is invalid\n";
        return kExitUsage;
    }
    return runtime::run_agent(*loaded, ctx.options.config_path);
}

}  // namespace outpost::cli
