#pragma once
// The log's levels and line formats: the one type for each, also used as is
// by the config schema (logging.level, logging.format), whose YAML names are
// to_string()'s.

#include <optional>
#include <string_view>

namespace outpost::log {

enum class Level { trace, debug, info, warn, error };
enum class Format { text, json };

[[nodiscard]] std::string_view to_string(Level level);
[[nodiscard]] std::optional<Level> parse_level(std::string_view text);

}  // namespace outpost::log
