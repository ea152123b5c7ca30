#pragma once
#include "agent/config/config.hpp"

namespace outpost::runtime {

// `outpost run`: load the identity, connect, serve until SIGTERM/SIGINT.
// Returns the process exit code.
[[nodiscard]] int run_agent(const config::Config& config);

}  // namespace outpost::runtime
