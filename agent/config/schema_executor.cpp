// Schema of the `executor` section and of each allow-listed command entry.
// A new per-entry rule is a new row in command_entry_table() (plus, when it
// relates several keys, a row in rules.cpp). What the keys mean at run time
// is executors/policy's job; docs/allow-list.md describes both.

#include <charconv>
#include <chrono>

#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;

// A signed decimal integer (int_range bounds may be negative).
Converter<std::int64_t> signed_integer() {
    return {"integer", "-2^63..2^63-1", "a whole number, optionally negative",
            [](std::string_view text) -> Expected<std::int64_t> {
                std::int64_t value = 0;
                const auto* end = text.data() + text.size();
                auto [ptr, ec] = std::from_chars(text.data(), end, value);
                if (text.empty() || ec == std::errc::result_out_of_range) {
                    return fail(text.empty() ? "empty" : "out of range");
                }
                if (ec != std::errc() || ptr != end) {
                    return fail("not a decimal integer");
                }
                return value;
            }};
}

// An environment variable name: [A-Za-z_][A-Za-z0-9_]{0,127}.
Converter<std::string> env_name() {
    return {"name", "[A-Za-z_][A-Za-z0-9_]{0,127}",
            "an environment variable name ([A-Za-z_][A-Za-z0-9_]*, up to 128 characters)",
            [](std::string_view text) -> Expected<std::string> {
                const auto word = [](char c, bool first) {
                    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
                           (!first && c >= '0' && c <= '9');
                };
                if (text.empty() || text.size() > 128) {
                    return fail(text.empty() ? "empty" : "longer than 128 characters");
                }
                for (std::size_t i = 0; i < text.size(); ++i) {
                    if (!word(text[i], i == 0)) {
                        return fail("contains a character that is not allowed");
                    }
                }
                return std::string(text);
            }};
}

template <class S>
Field<S> with_example(Field<S> field, std::string example) {
    field.doc.example = std::move(example);
    return field;
}

// The rows shared by an arg_rules item and the variadic tail (same keys).
template <class R>
void add_arg_rule_rows(std::vector<Field<R>>& rows) {
    rows.push_back(key("literal", &R::literal, free_text(0, 4096), optional("restart"),
                       "Kind: the argument must be exactly this text."));
    rows.push_back(key("one_of", &R::one_of, free_text(0, 4096), optional("[nginx, postgresql]"),
                       "Kind: the argument must be exactly one of these texts."));
    rows.push_back(key("regex", &R::regex, regex_pattern(1, 4096), optional("'^[a-z0-9-]{1,32}$'"),
                       "Kind: an RE2 pattern the whole argument must match (linear time; "
                       "compiled once, size-limited)."));
    rows.push_back(key("int_range", &R::int_range, signed_integer(), optional("[1, 1000]"),
                       "Kind: [min, max]; the argument must be a canonical decimal integer in "
                       "that range."));
    rows.push_back(key("path_under", &R::path_under, absolute_path(), optional("[/var/log]"),
                       "Kind: an absolute path that, normalised and with symlinks resolved, lies "
                       "under one of these roots; the resolved path is what the program gets."));
    rows.push_back(key("allow_dash", &R::allow_dash, boolean(), defaults_to("false"),
                       "Let the argument start with `-` (an option); refused otherwise."));
    rows.push_back(key("allow_newline", &R::allow_newline, boolean(), defaults_to("false"),
                       "regex only: let `\\n` and `\\r` reach the pattern (refused otherwise)."));
    rows.push_back(key("allow_missing", &R::allow_missing, boolean(), defaults_to("false"),
                       "path_under only: the path may not exist yet (its directory must)."));
}

std::vector<Field<ArgRule>> arg_rule_table() {
    std::vector<Field<ArgRule>> rows;
    add_arg_rule_rows(rows);
    return rows;
}

std::vector<Field<VariadicRule>> variadic_table() {
    std::vector<Field<VariadicRule>> rows;
    rows.push_back(key("max", &VariadicRule::max, count_in(0, 1024), defaults_to("0"),
                       "Most arguments allowed after the positional ones (0: none)."));
    add_arg_rule_rows(rows);
    return rows;
}

// `requires` accepts exactly the sandbox's names for its protections.
std::vector<std::pair<std::string, Protection>> protection_names() {
    std::vector<std::pair<std::string, Protection>> names;
    for (const Protection p : executors::kAllProtections) {
        names.emplace_back(executors::protection_name(p), p);
    }
    return names;
}

std::vector<Field<EnvRule>> env_rule_table() {
    using V = EnvRule;
    return {
        key("name", &V::name, env_name(), required("TZ"),
            "Variable name. LD_*, PATH, IFS, BASH_ENV, ENV and the like are refused."),
        key("regex", &V::regex, regex_pattern(1, 4096), required("'^[A-Za-z0-9_/+-]{1,64}$'"),
            "RE2 pattern the whole value must match."),
        key("allow_newline", &V::allow_newline, boolean(), defaults_to("false"),
            "Let `\\n` and `\\r` reach the pattern (refused otherwise)."),
    };
}

// Examples of the nested keys, written as the indented lines the example
// config shows under an entry (entry keys sit at 6 columns, so these at 8).
constexpr const char* kArgRulesExample =
    "\n        #- {literal: --local, allow_dash: true}"
    "\n        #- {one_of: [ext4, xfs]}"
    "\n        #- {regex: '^[a-z]{1,16}$', allow_newline: false}"
    "\n        #- {int_range: [1, 100]}"
    "\n        #- {path_under: [/srv], allow_missing: false}";
constexpr const char* kVariadicExample =
    "\n        #max: 8"
    "\n        #regex: '^[a-z0-9._-]{1,64}$'"
    "\n        #allow_dash: false"
    "\n        #allow_newline: false"
    "\n        #allow_missing: false"
    "\n        #literal:"
    "\n        #one_of:"
    "\n        #int_range:"
    "\n        #path_under:";

std::vector<Field<CommandEntry>> command_entry_table() {
    using E = CommandEntry;
    return {
        key("name", &E::name, name_token("._-", 64), required("disk-usage"),
            "Name the control plane uses in `execute.command`; unique within the list."),
        key("path", &E::path, absolute_path(), required("/usr/bin/df"),
            "Absolute path of the program; it is executed directly, never through a shell. "
            "It and every directory above it must be owned by root and not group/other "
            "writable."),
        key("args", &E::args, free_text(0, 4096), optional(R"(["--human-readable"])"),
            "Fixed leading arguments, placed before the arguments sent with the command."),
        with_example(entries("arg_rules", &E::arg_rules, arg_rule_table(),
                             "One rule per position of the arguments sent with the command "
                             "(each needed); exactly one kind per rule."),
                     kArgRulesExample),
        with_example(section("variadic", &E::variadic, variadic_table(),
                             "Rule for the arguments after the positional ones, with a maximum "
                             "count; none allowed by default."),
                     kVariadicExample),
        key("max_arg_bytes", &E::max_arg_bytes, size_in(0, MiB), defaults_to("16KiB"),
            "Total size of the sent arguments, each counted with its terminating NUL."),
        with_example(entries("env", &E::env, env_rule_table(),
                             "Environment variables the command may set; any other is refused."),
                     "[{name: TZ, regex: '^[A-Za-z0-9_/+-]{1,64}$', allow_newline: false}]"),
        key("max_stdin_bytes", &E::max_stdin_bytes, size_in(0, 16 * MiB), defaults_to("0B"),
            "Largest stdin the command may send (0: no stdin)."),
        key("description", &E::description, free_text(0, 512),
            optional("Disk usage of all file systems"), "Human-readable purpose of the entry."),
        key("timeout", &E::timeout, duration_in(1s, 24h), defaults_to("60s"),
            "Run time limit when the command does not ask for one."),
        key("max_timeout", &E::max_timeout, duration_in(1s, 24h), derived("same as timeout", "10m"),
            "Largest `timeout_ms` a command may ask for; must be at least `timeout`."),
        key("max_output_bytes", &E::max_output_bytes, size_in(1024, 16ULL << 20),
            defaults_to("64KiB"), "Output kept per stream (stdout, stderr); the rest is dropped."),
        key("run_as", &E::run_as, user_name(), optional("nobody"),
            "User the command runs as, resolved at start-up. The allow-list refuses an entry "
            "without it; a uid 0 user also needs allow_root."),
        key("group", &E::group, user_name(), optional("nogroup"),
            "Group the command runs as; run_as's primary group when absent. No supplementary "
            "groups are kept."),
        key("allow_root", &E::allow_root, boolean(), defaults_to("false"),
            "Must be true for run_as (or group) to resolve to root."),
        key("working_dir", &E::working_dir, absolute_path(), defaults_to("/"),
            "Directory the command starts in; trusted like the program's directories (owned by "
            "root, not writable by group or others, all the way up)."),
        key("sandbox", &E::sandbox,
            one_of<SandboxLevel>({{"strict", SandboxLevel::strict},
                                  {"standard", SandboxLevel::standard},
                                  {"none", SandboxLevel::none}}),
            defaults_to("strict"),
            "Sandbox profile: strict (no network, read-only root, private /tmp, own PID "
            "namespace, seccomp, Landlock), standard (private /tmp, seccomp, no_new_privs) or "
            "none."),
        key("requires", &E::required_protections, one_of<Protection>(protection_names()),
            optional("[seccomp, no_new_privs]"),
            "Protections of the sandbox profile the command must not run without; the "
            "profile's others are best effort (run, reported as degraded)."),
        key("idempotent", &E::idempotent, boolean(), defaults_to("false"),
            "Running the command twice is harmless; needed for retries."),
        key("retries", &E::retries, count_in(0, 3), defaults_to("0"),
            "Times the dispatcher may retry a failed start; only for idempotent entries."),
    };
}

}  // namespace

std::vector<Field<ExecutorConfig>> executor_table() {
    using X = ExecutorConfig;
    return {
        key("max_concurrent", &X::max_concurrent, count_in(1, 256), defaults_to("4"),
            "Commands running at the same time; more wait in a queue."),
        key("max_queued", &X::max_queued, count_in(0, 4096), defaults_to("64"),
            "Accepted commands that may wait for a free slot, and apart from them, commands "
            "that may await approval; past it a command is rejected (nothing of it runs), so "
            "a server cannot make the agent hold commands without end. 0: no queue, only "
            "free slots take commands."),
        key("max_queued_stdin_bytes", &X::max_queued_stdin_bytes, size_in(0, 1024 * MiB),
            defaults_to("16MiB"),
            "Total stdin the agent holds for unfinished commands (queued, and running until "
            "they end); a command whose stdin would go past it is rejected. Keep it at least "
            "the largest max_stdin_bytes of the allow-list, or that command is always "
            "rejected."),
        entries("commands", &X::commands, command_entry_table(),
                "The allow-list: the only programs the control plane can run. Empty by default "
                "(nothing can be executed)."),
    };
}

}  // namespace outpost::config
