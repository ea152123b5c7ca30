#pragma once
// Helpers shared by the config tests.

#include <string>
#include <string_view>
#include <vector>

#include "agent/config/loader.hpp"

namespace outpost::config::test {

// The smallest valid config.
inline constexpr std::string_view kMinimal = "server:\n  url: wss://hub.example.com/v1/agent\n";

[[nodiscard]] LoadResult load(std::string_view yaml);

// kMinimal plus `extra` (a YAML fragment of further sections).
[[nodiscard]] LoadResult load_with(std::string_view extra);

// The issues of a load that must have failed (fails the test otherwise).
[[nodiscard]] std::vector<ConfigIssue> issues_of(const LoadResult& result);

// All issues joined with format_issue, one a line, for failure messages.
[[nodiscard]] std::string describe(const std::vector<ConfigIssue>& issues);

// True when some issue has this key path and its message contains `part`.
[[nodiscard]] bool has_issue(const std::vector<ConfigIssue>& issues, std::string_view key_path,
                             std::string_view part = "");

// The first issue with this key path (fails the test if there is none).
[[nodiscard]] ConfigIssue issue_at(const std::vector<ConfigIssue>& issues,
                                   std::string_view key_path);

}  // namespace outpost::config::test
