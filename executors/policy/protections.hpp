#pragma once
// What each sandbox profile provides (config::Protection is the sandbox's
// executors::Protection; its names are executors::protection_name).

#include <string_view>
#include <vector>

#include "agent/config/config.hpp"

namespace outpost::policy {

// The protections a profile asks the sandbox for; an entry's `requires`
// must be a subset (the rest are best effort).
[[nodiscard]] std::vector<config::Protection> profile_protections(config::SandboxLevel level);

[[nodiscard]] std::string_view sandbox_name(config::SandboxLevel level);

}  // namespace outpost::policy
