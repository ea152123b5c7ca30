#pragma once
#include <string_view>

namespace outpost {
// Set from the CMake project version (agent/common/CMakeLists.txt).
inline constexpr std::string_view kAgentVersion = OUTPOST_VERSION;
}  // namespace outpost
