#pragma once
// The allow-list (protocol.md §3.3 step 3; docs/allow-list.md): which
// programs the control plane may run, with which arguments, environment,
// limits and identity. Built once from the config (regexes compiled, users
// resolved, programs' trust checked); check() then turns a request into the
// exact argv/env/limits to run, or a refusal naming the rule that failed.
// Nothing here starts a process, and nothing ever goes through a shell.

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "executors/policy/entry.hpp"
#include "executors/policy/run_profile.hpp"

namespace outpost::policy {

// What the control plane asks for (an `execute`, or `deploy`/`update_agent`
// mapped onto their entries).
struct Request {
    std::string command;            // the entry's name
    std::vector<std::string> args;  // after the entry's fixed args
    std::map<std::string, std::string> env;
    std::uint64_t stdin_bytes = 0;
    std::optional<std::uint64_t> timeout_ms;  // absent: the entry's timeout
};

// What to run; everything the dispatcher needs to fill a RunSpec: the
// entry's run profile as it is, and what this request decided.
struct ApprovedCommand {
    RunProfile run;                 // the entry's; runs get no supplementary groups
    std::vector<std::string> argv;  // argv[0] = path, fixed args, checked args
    std::vector<std::pair<std::string, std::string>> env;  // only allowed keys
    std::chrono::milliseconds timeout{};                   // the request's, else the entry's
};

// `rule` is the config key path of the rule that failed
// (`executor.commands[2].arg_rules[1]`); `message` says what and why, e.g.
// `args[1]: "x;y" does not match regex ^[a-z]+$ (executor.commands[2].arg_rules[1])`.
struct PolicyRefusal {
    std::string rule;
    std::string message;
};

class AllowList {
  public:
    // Every problem of every entry is reported, one per line, each naming
    // its entry (`executor.commands[2] (tail-log): ...`).
    [[nodiscard]] static Expected<AllowList> build(const config::ExecutorConfig& config);

    [[nodiscard]] std::expected<ApprovedCommand, PolicyRefusal> check(const Request& request) const;

    [[nodiscard]] bool contains(std::string_view name) const;
    [[nodiscard]] std::size_t size() const { return entries_.size(); }

  private:
    std::vector<CompiledEntry> entries_;
    std::unordered_map<std::string, std::size_t> by_name_;
};

}  // namespace outpost::policy
