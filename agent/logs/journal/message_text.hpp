#pragma once
// A journal entry's MESSAGE as a LogRecord's text: sanitized to UTF-8 and cut
// at the source's cap like a file line (docs/log-streaming.md, "journald
// sources"). MESSAGE is any bytes: journald stores binary payloads (a
// program writing raw bytes to stdout, `MESSAGE` sent with a length) as they
// came.

#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::logs {

struct CappedText {
    std::string text;             // valid UTF-8, at most the cap
    std::uint64_t cut_bytes = 0;  // bytes of the input past the cut
};

// Decodes `raw` from the start, each ill-formed subpart becoming one U+FFFD,
// and stops before the first code point (or U+FFFD) that would take the text
// past `cap` bytes; what is left of `raw` from there is `cut_bytes`. So a cut
// always falls on a code-point boundary of both the input and the output.
[[nodiscard]] CappedText cap_message(std::string_view raw, std::size_t cap);

}  // namespace outpost::logs
