#pragma once
// Our face of RE2: patterns from the allow-list, run against arguments and
// environment values the control plane sends. RE2 matches in time linear in
// the input (no backtracking), so a pattern cannot be made to blow up by
// what it is matched against; its compiled size is capped at load.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "agent/common/error.hpp"

namespace re2 {
class RE2;
}

namespace outpost::policy {

// Memory RE2 may use for one compiled pattern (program plus DFA cache); a
// pattern that does not fit is refused at load.
inline constexpr std::size_t kRegexMaxMemory = 1 << 20;

class Regex {
  public:
    // Compiles `pattern` (RE2 syntax, UTF-8). The error is RE2's reason.
    [[nodiscard]] static Expected<Regex> compile(std::string_view pattern);

    // True when the whole of `text` matches (implicitly anchored at both ends).
    [[nodiscard]] bool full_match(std::string_view text) const;

    [[nodiscard]] const std::string& pattern() const { return pattern_; }

  private:
    Regex(std::shared_ptr<const re2::RE2> re, std::string pattern)
        : re_(std::move(re)), pattern_(std::move(pattern)) {}

    std::shared_ptr<const re2::RE2> re_;  // shared: RE2 is immutable and thread-safe
    std::string pattern_;
};

}  // namespace outpost::policy
