#pragma once
// A cheap look at the raw text before yaml-cpp parses it. yaml-cpp parses
// nested collections recursively, so hostile input (`[[[[…`, `- - - - …`) or
// a huge file must be refused before it gets there; and it misreads a NUL
// byte, so that is refused here too.

#include <optional>
#include <string>
#include <string_view>

#include "agent/config/issues.hpp"

namespace outpost::config {

struct TextRefusal {
    Position where;
    std::string message;
};

// Deeper than any sensible config; far below where parsing would recurse
// dangerously.
inline constexpr int kMaxNesting = 64;

[[nodiscard]] std::optional<TextRefusal> check_text_shape(std::string_view text);

}  // namespace outpost::config
