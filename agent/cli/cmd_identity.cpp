#include "agent/auth/identity.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/config/loader.hpp"

#include <string_view>

namespace outpost::cli {

namespace {

// Prints what an operator registers with the control plane. Creating the key
// on first use is deliberate: this is the step before the agent's first start.
int print_identity(const CommandContext& ctx, std::string_view command) {
    auto loaded = config::load_config_file(ctx.options.config_path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            ctx.err << config::format_issue(issue) << "\n";
        }
        return kExitUsage;
    }
    auto identity = auth::load_or_create_identity(loaded->node.state_dir, loaded->node.id);
    if (!identity) {
        ctx.err << "outpost " << command << ": " << identity.error().message() << "\n";
        return kExitFailure;
    }
    ctx.out << "node_id: " << identity->node_id << "\n"
            << "public_key: " << auth::public_key_base64url(identity->public_key) << "\n";
    return kExitOk;
}

}  // namespace

int cmd_identity(const CommandContext& ctx) {
    return print_identity(ctx, "identity");
}

// protocol.md §2 names `outpost enroll` as the way to create the identity
// before the first start; it is the same step, under the name the
// protocol's readers look for.
int cmd_enroll(const CommandContext& ctx) {
    return print_identity(ctx, "enroll");
}

}  // namespace outpost::cli
