#pragma once
// Environment variables: the ones no entry may ever pass (they change how the
// dynamic loader, a shell or an interpreter behaves before the program's own
// code runs), and the compiled per-entry rule for the allowed ones.

#include <optional>
#include <string>
#include <string_view>

#include "executors/policy/regex.hpp"

namespace outpost::policy {

// Why `name` may never be set by the control plane, or nullopt when it may
// be (if an entry allows it). Compared case-insensitively.
[[nodiscard]] std::optional<std::string_view> forbidden_env_reason(std::string_view name);

struct EnvMatcher {
    std::string name;
    Regex regex;
    bool allow_newline{};
    std::string rule_path;  // executor.commands[i].env[j]
};

}  // namespace outpost::policy
