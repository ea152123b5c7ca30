#pragma once
// Parsers for the scalar syntaxes the config file uses. Each returns the value
// or an Error whose message says what is wrong with the text (the loader adds
// where it was and what was expected). They know nothing about YAML.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"

namespace outpost::config {

// `<integer><unit>` with unit one of ms, s, m, h, d (e.g. `500ms`, `7d`).
// Negative values, a missing unit, junk and overflow are refused.
[[nodiscard]] Expected<Duration> parse_duration(std::string_view text);

// `<integer>` bytes or `<integer><unit>` with unit one of B, KiB, MiB, GiB, TiB.
[[nodiscard]] Expected<std::uint64_t> parse_size(std::string_view text);

// A plain non-negative decimal integer.
[[nodiscard]] Expected<std::uint64_t> parse_uint(std::string_view text);

// `true` or `false` (also `True`/`TRUE`/`False`/`FALSE`, the YAML 1.2 core
// schema); yes/no/on/off are refused because they are easy to mistype.
[[nodiscard]] Expected<bool> parse_bool(std::string_view text);

enum class Base64Alphabet { standard, url };

// RFC 4648 base64 (standard or URL-safe alphabet); `=` padding optional but
// must be correct when present; non-zero trailing bits are refused.
[[nodiscard]] Expected<std::vector<std::uint8_t>> decode_base64(std::string_view text,
                                                                Base64Alphabet alphabet);

struct Url {
    std::string scheme;  // lower-cased
    std::string host;    // without brackets for IPv6 literals
    std::optional<std::uint16_t> port;
    std::string path;  // everything after the authority, may be empty
};

// `scheme://host[:port][/path]`; no user info, no fragment, no whitespace.
[[nodiscard]] Expected<Url> parse_url(std::string_view text);

// Canonical spellings used in messages and the example config (`90s`, `1h`,
// `16MiB`): the largest unit that divides the value exactly.
[[nodiscard]] std::string format_duration(Duration value);
[[nodiscard]] std::string format_size(std::uint64_t bytes);

}  // namespace outpost::config
