#pragma once
// The allow-list (executors/policy) as the dispatcher's CommandPolicy:
// approved requests become a RunSpec with the entry's sandbox profile.

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "agent/dispatch/command_policy.hpp"

namespace outpost::runtime {

// Builds the allow-list once (paths, users, regexes checked at load); the
// error names the entry that is wrong.
[[nodiscard]] Expected<dispatch::CommandPolicy> make_allow_list_policy(
    const config::Config& config);

}  // namespace outpost::runtime
