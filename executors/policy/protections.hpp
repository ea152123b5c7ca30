#pragma once
// What each sandbox profile provides, in the names the sandbox uses.

#include <string_view>
#include <vector>

#include "agent/config/config.hpp"

namespace outpost::policy {

// The protections a profile asks the sandbox for; an entry's `requires`
// must be a subset (the rest are best effort).
[[nodiscard]] std::vector<config::Protection> profile_protections(config::SandboxLevel level);

[[nodiscard]] std::string_view protection_name(config::Protection protection);
[[nodiscard]] std::string_view sandbox_name(config::SandboxLevel level);

}  // namespace outpost::policy
