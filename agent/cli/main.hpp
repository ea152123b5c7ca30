#pragma once
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "agent/common/exit_codes.hpp"

namespace outpost::cli {

// Exit codes shared by every subcommand (agent/common/exit_codes.hpp).
using outpost::kExitFailure;
using outpost::kExitOk;
using outpost::kExitUsage;

// The whole CLI, testable without a process: args exclude the program name.
[[nodiscard]] int run_cli(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

// Entry point used by main(): converts argv and catches what must not escape.
int run_main(std::span<char*> argv);

}  // namespace outpost::cli
