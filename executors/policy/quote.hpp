#pragma once
// Shows untrusted text (an argument, a value) inside a refusal message:
// quoted, control characters escaped, and long text cut so that a 1 MiB
// argument does not become a 1 MiB log line.

#include <cstddef>
#include <string>
#include <string_view>

namespace outpost::policy {

inline constexpr std::size_t kQuoteMaxBytes = 64;

// `"x;y"`, `"a\nb"`, `"\x00"`, `"aaaa"… (1048576 bytes)`.
[[nodiscard]] std::string quote(std::string_view text, std::size_t max_bytes = kQuoteMaxBytes);

}  // namespace outpost::policy
