#pragma once
// Loading the YAML config file into a validated, immutable Config. Every
// problem found is reported (not just the first), each with its position,
// key path, what was expected and what was found. No exception escapes.

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.hpp"

namespace outpost::config {

struct ConfigIssue {
    std::string file;
    int line;              // 1-based; 0 when the issue concerns the whole file
    int column;            // 1-based; 0 when unknown
    std::string key_path;  // e.g. `executor.commands[2].path`; empty for syntax errors
    std::string message;
};

// `file:line:col: key.path: message`; the position and key path are left out
// when unknown (e.g. `file: cannot read: No such file or directory`).
[[nodiscard]] std::string format_issue(const ConfigIssue& issue);

using LoadResult = std::expected<Config, std::vector<ConfigIssue>>;

[[nodiscard]] LoadResult load_config_file(const std::filesystem::path& path);

// `source_name` is used as the file name in issues.
[[nodiscard]] LoadResult load_config_text(std::string_view yaml, std::string_view source_name);

// Inputs larger than this are refused before parsing.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

}  // namespace outpost::config
