#include "agent/auth/identity.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/config/loader.hpp"

namespace outpost::cli {

// Prints what an operator registers with the control plane. Creating the key
// on first use is deliberate: this is the step before the agent's first start.
int cmd_identity(const CommandContext& ctx) {
    auto loaded = config::load_config_file(ctx.options.config_path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            ctx.err << config::format_issue(issue) << "\n";
        }
        return kExitUsage;
    }
    auto identity = auth::load_or_create_identity(loaded->node.state_dir, loaded->node.id);
    if (!identity) {
        ctx.err << "outpost identity: " << identity.error().message() << "\n";
        return kExitFailure;
    }
    ctx.out << "node_id: " << identity->node_id << "\n"
            << "public_key: " << auth::public_key_base64url(identity->public_key) << "\n";
    return kExitOk;
}

}  // namespace outpost::cli
