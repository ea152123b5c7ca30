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
#include "executors/policy/run_profile.hpp"

namespace outpost::policy {

// What check() needs to judge a request (the matchers and bounds), plus the
// run profile every approval of this entry carries unchanged.
struct CompiledEntry {
    std::string key;  // executor.commands[i]
    RunProfile run;
    std::vector<std::string> fixed_args;
    std::vector<ArgMatcher> positional;
    std::optional<ArgMatcher> tail;
    std::uint64_t tail_max = 0;
    std::uint64_t max_arg_bytes = 0;
    std::vector<EnvMatcher> env;
    std::chrono::milliseconds timeout{};      // when the request names none
    std::chrono::milliseconds max_timeout{};  // the most a request may ask for
};

// Checks and compiles `entry` (the `index`th of executor.commands). The
// error lists every problem, one a line, each as
// `executor.commands[i].<key> (<name>): <what>`.
[[nodiscard]] Expected<CompiledEntry> compile_entry(const config::CommandEntry& entry,
                                                    std::size_t index);

}  // namespace outpost::policy
