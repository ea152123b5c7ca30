// The `logs` section (docs/log-streaming.md, "Configuration"): the
// allow-listed log sources a control plane may stream with `stream_logs`
// (protocol.md §3.3), and the limits every stream shares. A source is named
// by the server, never given as a path: only what this list names can be
// read. One row per key; what relates an entry's keys (exactly one of `file`
// and `unit`, unique names) is checked here beside the rows, so the message
// points at the entry's own line.

#include <array>
#include <chrono>
#include <memory>
#include <set>
#include <string_view>

#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;

// systemd's own limit on a unit name (UNIT_NAME_MAX, 256 with the NUL).
constexpr std::size_t kMaxUnitName = 255;

// The unit types systemd knows (systemd.unit(5)); a name must end in one.
constexpr std::array<std::string_view, 11> kUnitTypes = {"service",   "socket", "device", "mount",
                                                         "automount", "swap",   "target", "path",
                                                         "timer",     "slice",  "scope"};

bool is_unit_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '-' || c == '_' || c == '.' || c == '\\';
}

// Why `name` is not a unit systemd could have run, or empty when it is one.
// The rules are systemd's (unit_name_is_valid): `prefix.type` or
// `prefix@instance.type`, systemd's character set; a template without an
// instance (`getty@.service`) never runs, so it has no journal of its own.
std::string_view unit_name_problem(std::string_view name) {
    if (name.empty()) return "empty";
    if (name.size() > kMaxUnitName) return "longer than 255 characters";
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return "has no unit type suffix (e.g. `.service`)";
    const std::string_view type = name.substr(dot + 1);
    bool known = false;
    for (const auto candidate : kUnitTypes) {
        known = known || candidate == type;
    }
    if (!known) return "does not end in a unit type (.service, .socket, .timer, …)";
    const std::string_view stem = name.substr(0, dot);
    const auto at = stem.find('@');
    const std::string_view prefix = stem.substr(0, at);
    if (prefix.empty()) return "has nothing before the type";
    if (at != std::string_view::npos) {
        const std::string_view instance = stem.substr(at + 1);
        if (instance.empty()) return "is a template (`name@.type`); name an instance";
        if (instance.find('@') != std::string_view::npos) return "has more than one `@`";
        for (const char c : instance) {
            if (!is_unit_char(c)) return "contains a character systemd does not allow";
        }
    }
    for (const char c : prefix) {
        if (!is_unit_char(c)) return "contains a character systemd does not allow";
    }
    return {};
}

Converter<std::string> unit_name() {
    return {"unit name", "a systemd unit (systemd.unit(5))",
            "a systemd unit name (e.g. nginx.service)",
            [](std::string_view text) -> Expected<std::string> {
                if (const auto problem = unit_name_problem(text); !problem.empty()) {
                    return fail(std::string(problem));
                }
                return std::string(text);
            }};
}

std::vector<Field<LogSourceEntry>> source_table() {
    using E = LogSourceEntry;
    return {
        key("name", &E::name, name_token("._-", 64), required("nginx"),
            "Unique name; what `stream_logs.source` names."),
        key("file", &E::path, absolute_path(), optional("/var/log/nginx/access.log"),
            "A log file, followed through rotation; it may not exist yet (it is waited for). "
            "Exactly one of file and unit."),
        key("unit", &E::unit, unit_name(), optional("nginx.service"),
            "A systemd unit whose journal entries are streamed (sd-journal). Exactly one of "
            "file and unit."),
        key("journal_directory", &E::journal_directory, absolute_path(),
            optional("/var/log/journal/remote"),
            "unit only: read the journal files in this directory (e.g. written by "
            "systemd-journal-remote) instead of the system journal."),
        key("max_line_bytes", &E::max_line_bytes, size_in(256, MiB), defaults_to("16KiB"),
            "A longer line (journal: MESSAGE) is cut at a character boundary and marked."),
        key("lines_per_second", &E::lines_per_second, count_in(1, 1'000'000), defaults_to("1000"),
            "Lines a stream of this source sends per second at most."),
    };
}

// The entry-level rules: exactly one kind, journal_directory only with a
// unit. Skipped for a key that already has an issue of its own.
void check_source_kind(LogSourceEntry& entry, const YAML::Node& item, const Context& ctx) {
    const bool file = item["file"].IsDefined() && !item["file"].IsNull();
    const bool unit = item["unit"].IsDefined() && !item["unit"].IsNull();
    if (file && unit) {
        ctx.child(ctx.path + ".unit", ctx.where)
            .error(item["unit"], "give either `file` or `unit`, not both");
        return;
    }
    if (!file && !unit) {
        ctx.error(item, "needs `file` (an absolute path) or `unit` (a systemd unit name)");
        return;
    }
    entry.kind = file ? LogSourceKind::file : LogSourceKind::journal;
    const YAML::Node directory = item["journal_directory"];
    if (file && directory.IsDefined() && !directory.IsNull()) {
        ctx.child(ctx.path + ".journal_directory", ctx.where)
            .error(directory, "only a `unit` source reads a journal directory");
    }
}

void load_sources(const YAML::Node& node, const std::vector<Field<LogSourceEntry>>& table,
                  std::vector<LogSourceEntry>& into, const Context& ctx) {
    into.clear();
    if (!node.IsDefined() || node.IsNull()) return;  // no sources: nothing can be streamed
    if (!node.IsSequence()) {
        ctx.error(node, fmt::format("expected a list of maps, found {}", describe_kind(node)));
        return;
    }
    std::set<std::string> names;
    std::size_t index = 0;
    for (const auto& item : node) {
        const auto path = fmt::format("{}[{}]", ctx.path, index++);
        const Position at = position_of(item);
        const auto item_ctx = ctx.child(path, at.line > 0 ? at : ctx.where);
        ctx.sink->record(path, item_ctx.where);
        if (!item.IsMap()) {
            item_ctx.error(item,
                           fmt::format("expected a map of keys, found {}", describe_kind(item)));
            continue;
        }
        LogSourceEntry entry{};
        apply_table(item, table, entry, item_ctx);
        check_source_kind(entry, item, item_ctx);
        if (!entry.name.empty() && !names.insert(entry.name).second) {
            item_ctx.child(path + ".name", item_ctx.where)
                .error(item["name"], fmt::format("a source named `{}` is given twice", entry.name));
        }
        into.push_back(std::move(entry));
    }
}

// The example config's entries: a file and a unit (one entry cannot show
// both, they exclude each other). As the lines sit under `sources:`.
constexpr const char* kSourcesExample =
    "#- name: nginx\n"
    "  #file: /var/log/nginx/access.log\n"
    "  #max_line_bytes: 16KiB\n"
    "  #lines_per_second: 1000\n"
    "#- name: app\n"
    "  #unit: app.service\n"
    "  #journal_directory: /var/log/journal/remote\n";

Field<LogsConfig> sources_row() {
    auto table = std::make_shared<const std::vector<Field<LogSourceEntry>>>(source_table());
    KeyDoc doc{"sources",
               "list of maps",
               "",
               Presence::entries,
               "",
               kSourcesExample,
               "The allow-listed log sources, each a file or a systemd unit's journal. Empty by "
               "default (nothing can be streamed).",
               docs_of(*table)};
    return Field<LogsConfig>{
        std::move(doc), "a list of maps",
        [table](const YAML::Node& node, LogsConfig& target, const Context& ctx) {
            load_sources(node, *table, target.sources, ctx);
        }};
}

std::vector<Field<LogsConfig>> logs_table() {
    using L = LogsConfig;
    return {
        sources_row(),
        key("max_streams", &L::max_streams, count_in(1, 256), defaults_to("8"),
            "Streams open at once; one more is refused with a stream_end."),
        key("max_lines_per_second", &L::max_lines_per_second, count_in(1, 1'000'000),
            defaults_to("5000"), "log_line messages per second of all streams together."),
        // 100 000 lines and 4 MiB: history is read at once, on the loop,
        // into memory, before the first log_line (docs/log-streaming.md).
        key("max_history_lines", &L::max_history_lines, count_in(0, 100'000), defaults_to("10000"),
            "A larger `stream_logs.lines` is capped to this."),
        key("max_history_bytes", &L::max_history_bytes, size_in(64 * KiB, 64 * MiB),
            defaults_to("4MiB"),
            "History text one stream reads at its start; past it the oldest lines are left out."),
        key("partial_line_timeout", &L::partial_line_timeout, duration_in(10ms, 1min),
            defaults_to("2s"),
            "A file's last line without a newline is held this long, then sent as partial."),
    };
}

}  // namespace

Field<Config> logs_row() {
    return section("logs", &Config::logs, logs_table(),
                   "Log streaming (stream_logs): the allow-listed sources and the limits of "
                   "all streams.");
}

}  // namespace outpost::config
