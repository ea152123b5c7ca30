#pragma once
// One allow-list entry after load-time checks (internal to the policy module).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "executors/policy/arg_rule.hpp"
#include "executors/policy/env_rule.hpp"
#include "executors/policy/users.hpp"

namespace outpost::policy {

struct CompiledEntry {
    std::string name;
    std::string key;  // executor.commands[i]
    std::string path;
    std::vector<std::string> fixed_args;
    std::vector<ArgMatcher> positional;
    std::optional<ArgMatcher> tail;
    std::uint64_t tail_max = 0;
    std::uint64_t max_arg_bytes = 0;
    std::vector<EnvMatcher> env;
    std::uint64_t max_stdin_bytes = 0;
    std::chrono::milliseconds timeout{};
    std::chrono::milliseconds max_timeout{};
    std::uint64_t max_output_bytes = 0;
    Identity identity;
    std::string working_dir;
    config::SandboxLevel sandbox{};
    std::vector<config::Protection> required;
    std::vector<config::Protection> best_effort;
    bool idempotent = false;
    std::uint64_t retries = 0;
};

// Checks and compiles `entry` (the `index`th of executor.commands). The
// error lists every problem, one a line, each as
// `executor.commands[i].<key> (<name>): <what>`.
[[nodiscard]] Expected<CompiledEntry> compile_entry(const config::CommandEntry& entry,
                                                    std::size_t index);

}  // namespace outpost::policy
