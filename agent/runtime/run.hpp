#pragma once
#include <filesystem>

#include "agent/config/config.hpp"

namespace outpost::runtime {

// `outpost run`: load the identity, connect, serve until SIGTERM/SIGINT.
// `config_path` is the file `config` was loaded from: the start-up banner
// names it and SIGHUP reads it again. Returns the process exit code.
[[nodiscard]] int run_agent(const config::Config& config, const std::filesystem::path& config_path);

}  // namespace outpost::runtime
