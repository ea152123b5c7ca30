// `outpost journal accept-reset`: an operator's explicit acceptance that the
// journal went backwards (docs/runbooks/journal.md). The agent refuses every
// command while its journal is behind its mark file, because the record of
// past request_ids may have lost entries; only a person can decide that
// running a redelivered command again is acceptable. This gives the journal
// a new epoch (reported in hello.journal, so the control plane sees the
// reset) and rewrites the mark file; the agent must be stopped, since the
// journal is locked while it runs.

#include <chrono>
#include <filesystem>

#include "agent/cli/commands.hpp"
#include "agent/cli/main.hpp"
#include "agent/config/loader.hpp"
#include "agent/journal/journal.hpp"

namespace outpost::cli {

namespace {

constexpr std::string_view kAcceptReset = "accept-reset";

}  // namespace

int cmd_journal(const CommandContext& ctx) {
    if (ctx.options.action != kAcceptReset) {
        ctx.err << "outpost journal: expected the action '" << kAcceptReset
                << "' (outpost journal accept-reset [--config PATH])\n";
        return kExitUsage;
    }
    auto loaded = config::load_config_file(ctx.options.config_path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            ctx.err << config::format_issue(issue) << "\n";
        }
        return kExitUsage;
    }
    const std::filesystem::path path = std::filesystem::path(loaded->node.state_dir) / "journal.db";
    journal::Options options;
    options.sync = loaded->journal.sync;
    // A running agent holds the journal: say so at once rather than wait.
    options.busy_timeout = std::chrono::milliseconds(500);
    const auto before = journal::read_mark(journal::mark_path(path));
    auto reset = journal::Journal::accept_reset(path, options);
    if (!reset) {
        ctx.err << "outpost journal accept-reset: " << reset.error().message() << "\n";
        return kExitFailure;
    }
    ctx.out << "journal " << path.string() << ": new epoch " << reset->epoch;
    if (before && *before) ctx.out << " (was " << (*before)->epoch << ")";
    ctx.out << "\nrequest_ids the journal lost are no longer known: a redelivered one would run "
               "again. Start the agent; hello.journal reports the new epoch.\n";
    return kExitOk;
}

}  // namespace outpost::cli
