#pragma once
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace outpost::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the environment failed (I/O, network)
inline constexpr int kExitUsage = 2;    // bad command line or bad config

// The whole CLI, testable without a process: args exclude the program name.
[[nodiscard]] int run_cli(const std::vector<std::string>& args, std::ostream& out,
                          std::ostream& err);

// Entry point used by main(): converts argv and catches what must not escape.
int run_main(std::span<char*> argv);

}  // namespace outpost::cli
