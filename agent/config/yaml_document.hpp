#pragma once
// Parses the config text as exactly one YAML document, turning every yaml-cpp
// exception into a TextRefusal. yaml-cpp 0.7's LoadAll never returns on some
// invalid input (a stray `,` where a document-level node should be is never
// consumed, so it yields empty documents forever); this counts documents with
// a bounded number of parser steps instead. Explicit tags (`!!python/object`,
// `!custom`) are refused rather than silently dropped.

#include <expected>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "agent/config/text_guard.hpp"

namespace outpost::config {

[[nodiscard]] std::expected<YAML::Node, TextRefusal> parse_one_document(std::string_view text);

// yaml-cpp's 0-based mark as a 1-based position ({0, 0} for a null mark).
[[nodiscard]] Position position_of_mark(const YAML::Mark& mark);

}  // namespace outpost::config
