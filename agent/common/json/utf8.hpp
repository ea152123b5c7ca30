#pragma once
// UTF-8 well-formedness (Unicode §3.9, table 3-7): no overlongs, no surrogates,
// nothing above U+10FFFF, no truncated sequences.

#include <cstddef>
#include <string>
#include <string_view>

namespace outpost::json::utf8 {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// One step of decoding at `pos` (< text.size()). A valid step is one complete
// code point; an invalid one is the maximal ill-formed subpart (at least one
// byte), which a sanitizer replaces by exactly one U+FFFD.
struct Step {
    std::size_t length;
    bool valid;
};
[[nodiscard]] Step step(std::string_view text, std::size_t pos) noexcept;

// Offset of the first byte of the first ill-formed sequence, or npos.
[[nodiscard]] std::size_t find_invalid(std::string_view text) noexcept;

// Appends `text` to `out` with every ill-formed subpart replaced by U+FFFD.
void append_sanitized(std::string& out, std::string_view text);

[[nodiscard]] std::string sanitize(std::string_view text);

}  // namespace outpost::json::utf8
