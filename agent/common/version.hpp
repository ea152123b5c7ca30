#pragma once
#include <string_view>

namespace outpost {
// Set from the CMake project version (agent/common/CMakeLists.txt).
inline constexpr std::string_view kAgentVersion = OUTPOST_VERSION;

// `git describe` of the tree the binary was configured from, or "unknown"
// (agent/common/CMakeLists.txt); defined in the outpost_build_id library.
[[nodiscard]] std::string_view build_id();
}  // namespace outpost
