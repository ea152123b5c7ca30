// `outpost commands [--limit N] [--state S] [--json]`: the journal's commands,
// newest first, read without the agent (journal_listing.hpp says how, and
// why it cannot read while the agent runs). docs/runbooks/journal.md.
// Exit codes: 0 listed (maybe none); 1 the journal cannot be read (the
// agent holds it, permission, unreadable); 2 bad command line or config.
#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/journal_listing.hpp"
#include "agent/cli/main.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/common/printable.hpp"
#include "agent/config/loader.hpp"
#include "agent/journal/command.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::cli {
namespace {

// The answer's `format` with --json; a reader checks it.
constexpr std::string_view kFormat = "outpost.commands.v1";

std::string known_states() {
    std::string names;
    for (auto state : {journal::CommandState::awaiting_approval, journal::CommandState::queued,
                       journal::CommandState::running, journal::CommandState::succeeded,
                       journal::CommandState::failed, journal::CommandState::timed_out,
                       journal::CommandState::cancelled, journal::CommandState::rejected,
                       journal::CommandState::interrupted}) {
        names += (names.empty() ? "" : ", ") + std::string(journal::to_string(state));
    }
    return names;
}

std::string time_text(const std::optional<TimePoint>& at) {
    return at ? protocol::format_rfc3339(*at) : "-";
}

std::string duration_text(const std::optional<std::int64_t>& ms) {
    if (!ms) return "-";
    return fmt::format("{:.3f}s", static_cast<double>(*ms) / 1000.0);
}

std::string exit_text(const JournalCommand& row) {
    if (row.exit_code) return std::to_string(*row.exit_code);
    if (row.signal) return printable(*row.signal);
    return "-";
}

// Every text from the journal came from the control plane or a command:
// printable() keeps it from moving the cursor or forging a line.
void print_table(std::ostream& out, const std::vector<JournalCommand>& rows) {
    constexpr std::string_view kRow = "{:<36} {:<16} {:<17} {:>6} {:<24} {:<24} {:>10}\n";
    out << fmt::format(fmt::runtime(kRow), "REQUEST_ID", "COMMAND", "STATE", "EXIT", "STARTED",
                       "FINISHED", "DURATION");
    for (const JournalCommand& row : rows) {
        out << fmt::format(fmt::runtime(kRow), printable(row.request_id), printable(row.command),
                           printable(row.state), exit_text(row), time_text(row.started_at),
                           time_text(row.finished_at), duration_text(row.duration_ms));
    }
}

void optional_time(json::JsonWriter& w, std::string_view key, const std::optional<TimePoint>& at) {
    if (at) {
        w.member(key, protocol::format_rfc3339(*at));
    } else {
        w.key(key).null();
    }
}

std::string to_json(const std::string& journal_path, const std::vector<JournalCommand>& rows) {
    json::JsonWriter w;
    w.begin_object();
    w.member("format", kFormat);
    w.member("journal", journal_path);
    w.key("commands").begin_array();
    for (const JournalCommand& row : rows) {
        w.begin_object();
        w.member("request_id", row.request_id);
        w.member("command", row.command);
        w.member("state", row.state);
        w.member("exit_code", row.exit_code);
        w.member("signal", row.signal);
        w.member("received_at", protocol::format_rfc3339(row.received_at));
        optional_time(w, "started_at", row.started_at);
        optional_time(w, "finished_at", row.finished_at);
        w.member("duration_ms", row.duration_ms);
        w.member("reason", row.reason);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return std::move(w).take();
}

}  // namespace

int cmd_commands(const CommandContext& ctx) {
    if (!ctx.options.state.empty() && !journal::parse_command_state(ctx.options.state)) {
        ctx.err << "outpost commands: --state '" << printable(ctx.options.state)
                << "' is not a command state; one of: " << known_states() << "\n";
        return kExitUsage;
    }
    auto loaded = config::load_config_file(ctx.options.config_path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            ctx.err << config::format_issue(issue) << "\n";
        }
        ctx.err << "outpost commands: the journal's place (node.state_dir) comes from the config\n";
        return kExitUsage;
    }
    const std::filesystem::path path = std::filesystem::path(loaded->node.state_dir) / "journal.db";
    JournalQuery query{.limit = ctx.options.limit, .state = std::nullopt};
    if (!ctx.options.state.empty()) query.state = ctx.options.state;
    auto rows = list_journal_commands(path, query);
    if (!rows) {
        ctx.err << "outpost commands: " << printable(rows.error().message()) << "\n";
        return kExitFailure;
    }
    if (ctx.options.json) {
        ctx.out << to_json(path.string(), *rows) << "\n";
    } else {
        print_table(ctx.out, *rows);
    }
    return kExitOk;
}

}  // namespace outpost::cli
