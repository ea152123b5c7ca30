#pragma once
// Converters turn one scalar's text into a typed value and carry the words
// used for it in docs (type, constraint) and in errors (expected). The schema
// tables pick one per key; they are the only place a key's rule is written.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "agent/config/suggest.hpp"
#include "agent/config/value_parsers.hpp"

namespace outpost::config {

template <class T>
struct Converter {
    std::string type;        // docs: `duration`
    std::string constraint;  // docs: `100ms..1h`; may be empty
    std::string expected;    // errors: `a duration from 100ms to 1h (e.g. 30s)`
    std::function<Expected<T>(std::string_view)> convert;  // error = the reason
};

using Key32 = std::array<std::uint8_t, 32>;

[[nodiscard]] Converter<Duration> duration_in(Duration min, Duration max);
[[nodiscard]] Converter<std::uint64_t> size_in(std::uint64_t min, std::uint64_t max);
[[nodiscard]] Converter<std::uint64_t> count_in(std::uint64_t min, std::uint64_t max);
[[nodiscard]] Converter<bool> boolean();

// A URL whose scheme is one of `schemes`; `port_required` for proxies.
[[nodiscard]] Converter<std::string> url_with_scheme(std::vector<std::string> schemes,
                                                     bool port_required = false);
[[nodiscard]] Converter<std::string> absolute_path();

// 1..max_length characters of [A-Za-z0-9] plus `extra` (e.g. "._-").
[[nodiscard]] Converter<std::string> name_token(std::string extra, std::size_t max_length);

// Free text of min_length..max_length bytes.
[[nodiscard]] Converter<std::string> free_text(std::size_t min_length, std::size_t max_length);

// An RE2 pattern of min_length..max_length bytes that compiles as the
// allow-list will compile it (executors/policy/regex.hpp), so a bad pattern
// is reported at its line and column like any other bad value.
[[nodiscard]] Converter<std::string> regex_pattern(std::size_t min_length, std::size_t max_length);

// A POSIX user name: [A-Za-z0-9._-], 1..32, not starting with `-`.
[[nodiscard]] Converter<std::string> user_name();

// 32 bytes in base64 (`standard` or `url` alphabet), e.g. a SHA-256 digest or
// an Ed25519 public key; `what` names it in messages.
[[nodiscard]] Converter<Key32> base64_32_bytes(Base64Alphabet alphabet, std::string what);

template <class E>
[[nodiscard]] Converter<E> one_of(std::vector<std::pair<std::string, E>> values) {
    std::vector<std::string> names;
    for (const auto& value : values) {
        names.push_back(value.first);
    }
    const std::string joined = fmt::format("{}", fmt::join(names, ", "));
    return Converter<E>{"enum", fmt::format("{}", fmt::join(names, " | ")), "one of " + joined,
                        [values = std::move(values), names](std::string_view text) -> Expected<E> {
                            for (const auto& [name, value] : values) {
                                if (name == text) {
                                    return value;
                                }
                            }
                            if (auto near = closest_match(text, names)) {
                                return fail(fmt::format("did you mean `{}`?", *near));
                            }
                            return fail("not an allowed value");
                        }};
}

}  // namespace outpost::config
