#pragma once
// The child's environment, built from scratch: nothing of the agent's own
// environment is inherited.

#include <string>
#include <utility>
#include <vector>

namespace outpost::executors {

inline constexpr const char* kFixedPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kFixedLang = "C.UTF-8";

// The given variables (minus PATH/LANG/HOME, LD_*, BASH_ENV, ENV and
// malformed names) followed by the fixed PATH, LANG and HOME.
[[nodiscard]] std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& given, const std::string& home);

}  // namespace outpost::executors
