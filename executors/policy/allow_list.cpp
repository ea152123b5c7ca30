#include "executors/policy/allow_list.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "executors/policy/quote.hpp"
#include "executors/policy/trust.hpp"

namespace outpost::policy {
namespace {

std::unexpected<PolicyRefusal> refuse(std::string rule, std::string message) {
    return std::unexpected(PolicyRefusal{std::move(rule), std::move(message)});
}

// `args[1]: "x;y" does not match regex ^[a-z]+$ (executor.commands[2].arg_rules[1])`
std::unexpected<PolicyRefusal> refuse_arg(std::size_t i, const std::string& arg,
                                          const std::string& why, const std::string& rule) {
    return refuse(rule, fmt::format("args[{}]: {} {} ({})", i, quote(arg), why, rule));
}

std::expected<std::vector<std::string>, PolicyRefusal> check_args(const CompiledEntry& entry,
                                                                  const Request& request) {
    const auto& args = request.args;
    const std::size_t positional = entry.positional.size();
    if (args.size() < positional) {
        const auto rule = fmt::format("{}.arg_rules[{}]", entry.key, args.size());
        return refuse(rule, fmt::format("args: {} given, `{}` needs {} ({})", args.size(),
                                        entry.run.name, positional, rule));
    }
    if (args.size() > positional + entry.tail_max) {
        const auto rule = entry.key + ".variadic.max";
        return refuse(rule, fmt::format("args: {} given, `{}` allows at most {} ({} positional, "
                                        "{} more) ({})",
                                        args.size(), entry.run.name, positional + entry.tail_max,
                                        positional, entry.tail_max, rule));
    }
    // Size first, so a huge request costs no regex work.
    std::uint64_t bytes = 0;
    for (const auto& arg : args) {
        bytes += arg.size() + 1;
    }
    if (bytes > entry.max_arg_bytes) {
        const auto rule = entry.key + ".max_arg_bytes";
        return refuse(rule, fmt::format("args: {} bytes, more than max_arg_bytes {} ({})", bytes,
                                        entry.max_arg_bytes, rule));
    }
    std::vector<std::string> checked;
    checked.reserve(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        const ArgMatcher& matcher = i < positional ? entry.positional[i] : *entry.tail;
        auto value = matcher.check(args[i]);
        if (!value) {
            return refuse_arg(i, args[i], value.error().message(), matcher.rule_path());
        }
        checked.push_back(std::move(*value));
    }
    return checked;
}

std::expected<std::vector<std::pair<std::string, std::string>>, PolicyRefusal> check_env(
    const CompiledEntry& entry, const Request& request) {
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& [name, value] : request.env) {
        if (auto reason = forbidden_env_reason(name)) {
            const auto rule = entry.key + ".env";
            return refuse(
                rule, fmt::format("env {}: never allowed ({}) ({})", quote(name), *reason, rule));
        }
        const auto it = std::find_if(entry.env.begin(), entry.env.end(),
                                     [&](const EnvMatcher& m) { return m.name == name; });
        if (it == entry.env.end()) {
            const auto rule = entry.key + ".env";
            return refuse(rule, fmt::format("env {}: not allowed for `{}` ({})", quote(name),
                                            entry.run.name, rule));
        }
        std::string why;
        if (value.find('\0') != std::string::npos) {
            why = "contains a NUL byte";
        } else if (value.find_first_of("\n\r") != std::string::npos && !it->allow_newline) {
            why = "contains a line break and the rule does not set allow_newline";
        } else if (!it->regex.full_match(value)) {
            why = fmt::format("does not match regex {}", it->regex.pattern());
        }
        if (!why.empty()) {
            return refuse(it->rule_path, fmt::format("env {}: {} {} ({})", name, quote(value), why,
                                                     it->rule_path));
        }
        env.emplace_back(name, value);
    }
    return env;
}

}  // namespace

Expected<AllowList> AllowList::build(const config::ExecutorConfig& config) {
    AllowList list;
    std::vector<std::string> problems;
    for (std::size_t i = 0; i < config.commands.size(); ++i) {
        const auto& command = config.commands[i];
        auto entry = compile_entry(command, i);
        if (!entry) {
            problems.push_back(entry.error().message());
            continue;
        }
        if (!list.by_name_.emplace(command.name, list.entries_.size()).second) {
            problems.push_back(
                fmt::format("executor.commands[{}].name ({}): duplicate name", i, command.name));
            continue;
        }
        list.entries_.push_back(std::move(*entry));
    }
    if (!problems.empty()) {
        return fail(fmt::format("{}", fmt::join(problems, "\n")));
    }
    return list;
}

bool AllowList::contains(std::string_view name) const {
    return by_name_.contains(std::string(name));
}

std::expected<ApprovedCommand, PolicyRefusal> AllowList::check(const Request& request) const {
    const auto found = by_name_.find(request.command);
    if (found == by_name_.end()) {
        return refuse("executor.commands", fmt::format("command {} is not in the allow-list "
                                                       "(executor.commands)",
                                                       quote(request.command)));
    }
    const CompiledEntry& entry = entries_[found->second];
    // Again now: the file system may have changed since the list was built.
    if (auto trusted = check_executable_trust(entry.run.path); !trusted) {
        const auto rule = entry.key + ".path";
        return refuse(rule, fmt::format("{} is not trusted: {} ({})", entry.run.path,
                                        trusted.error().message(), rule));
    }
    if (auto trusted = check_directory_trust(entry.run.working_dir); !trusted) {
        const auto rule = entry.key + ".working_dir";
        return refuse(rule, fmt::format("{} is not trusted: {} ({})", entry.run.working_dir,
                                        trusted.error().message(), rule));
    }
    auto args = check_args(entry, request);
    if (!args) {
        return std::unexpected(args.error());
    }
    auto env = check_env(entry, request);
    if (!env) {
        return std::unexpected(env.error());
    }
    if (request.stdin_bytes > entry.run.max_stdin_bytes) {
        const auto rule = entry.key + ".max_stdin_bytes";
        return refuse(rule, fmt::format("stdin: {} bytes, more than max_stdin_bytes {} ({})",
                                        request.stdin_bytes, entry.run.max_stdin_bytes, rule));
    }
    auto timeout = entry.timeout;
    if (request.timeout_ms) {
        const auto rule = entry.key + ".max_timeout";
        if (*request.timeout_ms == 0 ||
            *request.timeout_ms > static_cast<std::uint64_t>(entry.max_timeout.count())) {
            return refuse(rule, fmt::format("timeout_ms: {} is not within 1..{} ({})",
                                            *request.timeout_ms, entry.max_timeout.count(), rule));
        }
        timeout = std::chrono::milliseconds(*request.timeout_ms);
    }
    ApprovedCommand approved;
    approved.run = entry.run;
    approved.argv.reserve(1 + entry.fixed_args.size() + args->size());
    approved.argv.push_back(entry.run.path);
    approved.argv.insert(approved.argv.end(), entry.fixed_args.begin(), entry.fixed_args.end());
    approved.argv.insert(approved.argv.end(), std::make_move_iterator(args->begin()),
                         std::make_move_iterator(args->end()));
    approved.env = std::move(*env);
    approved.timeout = timeout;
    return approved;
}

}  // namespace outpost::policy
