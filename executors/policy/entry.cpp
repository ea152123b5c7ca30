#include "executors/policy/entry.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "executors/policy/protections.hpp"
#include "executors/policy/quote.hpp"
#include "executors/policy/trust.hpp"

namespace outpost::policy {
namespace {

constexpr std::uint64_t kMaxRetries = 3;

// Collects an entry's problems, each prefixed with where and which entry.
class Problems {
  public:
    Problems(std::string key, std::string name) : key_(std::move(key)), name_(std::move(name)) {}

    void add(std::string_view sub_key, std::string_view message) {
        lines_.push_back(fmt::format("{}{}{} ({}): {}", key_, sub_key.empty() ? "" : ".", sub_key,
                                     name_, message));
    }
    [[nodiscard]] bool empty() const { return lines_.empty(); }
    [[nodiscard]] std::string joined() const { return fmt::format("{}", fmt::join(lines_, "\n")); }

  private:
    std::string key_;
    std::string name_;
    std::vector<std::string> lines_;
};

void compile_args(const config::CommandEntry& entry, CompiledEntry& out, Problems& problems) {
    for (const auto& arg : entry.args) {
        if (arg.find('\0') != std::string::npos) {
            problems.add("args", fmt::format("fixed argument {} contains a NUL byte", quote(arg)));
        }
    }
    for (std::size_t r = 0; r < entry.arg_rules.size(); ++r) {
        const auto sub = fmt::format("arg_rules[{}]", r);
        auto matcher = ArgMatcher::compile(entry.arg_rules[r], out.key + "." + sub);
        if (!matcher) {
            problems.add(sub, matcher.error().message());
            continue;
        }
        out.positional.push_back(std::move(*matcher));
    }
    out.tail_max = entry.variadic.max;
    if (entry.variadic.max > 0) {
        auto matcher = ArgMatcher::compile(entry.variadic, out.key + ".variadic");
        if (!matcher) {
            problems.add("variadic", matcher.error().message());
        } else {
            out.tail = std::move(*matcher);
        }
    }
}

void compile_env(const config::CommandEntry& entry, CompiledEntry& out, Problems& problems) {
    for (std::size_t j = 0; j < entry.env.size(); ++j) {
        const auto& rule = entry.env[j];
        const auto sub = fmt::format("env[{}]", j);
        if (auto reason = forbidden_env_reason(rule.name)) {
            problems.add(sub + ".name",
                         fmt::format("`{}` is never allowed ({})", rule.name, *reason));
            continue;
        }
        const bool duplicate =
            std::any_of(out.env.begin(), out.env.end(),
                        [&](const EnvMatcher& m) { return m.name == rule.name; });
        if (duplicate) {
            problems.add(sub + ".name", fmt::format("`{}` is listed twice", rule.name));
            continue;
        }
        auto re = Regex::compile(rule.regex);
        if (!re) {
            problems.add(sub + ".regex",
                         fmt::format("regex {}: {}", quote(rule.regex), re.error().message()));
            continue;
        }
        out.env.push_back(EnvMatcher{rule.name, std::move(*re), rule.allow_newline,
                                     fmt::format("{}.{}", out.key, sub)});
    }
}

void resolve_user(const config::CommandEntry& entry, CompiledEntry& out, Problems& problems) {
    if (!entry.run_as) {
        problems.add("run_as",
                     "is required: name the user to run as (root needs "
                     "`run_as: root` and `allow_root: true`)");
        return;
    }
    auto identity = resolve_identity(*entry.run_as, entry.group);
    if (!identity) {
        problems.add(entry.group ? "group" : "run_as", identity.error().message());
        return;
    }
    if (identity->uid == 0 && !entry.allow_root) {
        problems.add("run_as", fmt::format("`{}` is uid 0; set allow_root: true to run this "
                                           "entry as root",
                                           *entry.run_as));
    }
    if (identity->gid == 0 && !entry.allow_root) {
        problems.add(entry.group ? "group" : "run_as",
                     "the group is gid 0; set allow_root: true or choose another group");
    }
    out.run.identity = std::move(*identity);
}

void check_limits(const config::CommandEntry& entry, CompiledEntry& out, Problems& problems) {
    out.timeout = entry.timeout;
    out.max_timeout =
        entry.max_timeout == config::Duration::zero() ? entry.timeout : entry.max_timeout;
    if (out.timeout <= config::Duration::zero()) {
        problems.add("timeout", "must be positive");
    }
    if (out.max_timeout < out.timeout) {
        problems.add("max_timeout", "is less than timeout");
    }
    if (entry.max_output_bytes == 0) {
        problems.add("max_output_bytes", "must be positive");
    }
    if (entry.retries > kMaxRetries) {
        problems.add("retries", fmt::format("at most {}", kMaxRetries));
    }
    if (entry.retries > 0 && !entry.idempotent) {
        problems.add("retries", "retries need idempotent: true");
    }
    std::string& working_dir = out.run.working_dir;
    working_dir = entry.working_dir.empty() ? "/" : entry.working_dir;
    if (working_dir.front() != '/') {
        problems.add("working_dir", "is not an absolute path");
    } else if (auto trusted = check_directory_trust(working_dir); !trusted) {
        problems.add("working_dir",
                     fmt::format("{} is not trusted: {}", working_dir, trusted.error().message()));
    }
}

void check_protections(const config::CommandEntry& entry, CompiledEntry& out, Problems& problems) {
    std::vector<config::Protection>& required = out.run.required;
    out.run.sandbox = entry.sandbox;
    const auto offered = profile_protections(entry.sandbox);
    for (const auto p : entry.required_protections) {
        if (std::find(offered.begin(), offered.end(), p) == offered.end()) {
            problems.add("requires",
                         fmt::format("sandbox `{}` does not provide `{}`",
                                     sandbox_name(entry.sandbox), executors::protection_name(p)));
        } else if (std::find(required.begin(), required.end(), p) == required.end()) {
            required.push_back(p);
        }
    }
    for (const auto p : offered) {
        if (std::find(required.begin(), required.end(), p) == required.end()) {
            out.run.best_effort.push_back(p);
        }
    }
}

}  // namespace

Expected<CompiledEntry> compile_entry(const config::CommandEntry& entry, std::size_t index) {
    CompiledEntry out;
    out.run.name = entry.name;
    out.key = fmt::format("executor.commands[{}]", index);
    Problems problems(out.key, entry.name);
    if (entry.name.empty()) {
        problems.add("name", "is empty");
    }
    out.run.path = entry.path;
    if (auto trusted = check_executable_trust(entry.path); !trusted) {
        problems.add("path",
                     fmt::format("{} is not trusted: {}", entry.path, trusted.error().message()));
    }
    out.fixed_args = entry.args;
    compile_args(entry, out, problems);
    out.max_arg_bytes = entry.max_arg_bytes;
    compile_env(entry, out, problems);
    out.run.max_stdin_bytes = entry.max_stdin_bytes;
    out.run.max_output_bytes = entry.max_output_bytes;
    resolve_user(entry, out, problems);
    check_limits(entry, out, problems);
    check_protections(entry, out, problems);
    out.run.idempotent = entry.idempotent;
    out.run.retries = entry.retries;
    if (!problems.empty()) {
        return fail(problems.joined());
    }
    return out;
}

}  // namespace outpost::policy
