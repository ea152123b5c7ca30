#include "agent/config/converters.hpp"

#include <algorithm>

#include "executors/policy/regex.hpp"

namespace outpost::config {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

template <class T, class Format>
Expected<T> within(Expected<T> value, T min, T max, Format format) {
    if (!value) {
        return value;
    }
    if (*value < min) {
        return fail(fmt::format("below the minimum {}", format(min)));
    }
    if (*value > max) {
        return fail(fmt::format("above the maximum {}", format(max)));
    }
    return value;
}

}  // namespace

Converter<Duration> duration_in(Duration min, Duration max) {
    const auto range = fmt::format("{}..{}", format_duration(min), format_duration(max));
    return {"duration", range,
            fmt::format("a duration from {} to {} (integer and unit ms, s, m, h or d, e.g. 30s)",
                        format_duration(min), format_duration(max)),
            [min, max](std::string_view text) {
                return within(parse_duration(text), min, max, format_duration);
            }};
}

Converter<std::uint64_t> size_in(std::uint64_t min, std::uint64_t max) {
    const auto range = fmt::format("{}..{}", format_size(min), format_size(max));
    return {"size", range,
            fmt::format("a size from {} to {} (bytes, or integer and unit B, KiB, MiB, GiB or "
                        "TiB, e.g. 64KiB)",
                        format_size(min), format_size(max)),
            [min, max](std::string_view text) {
                return within(parse_size(text), min, max, format_size);
            }};
}

Converter<std::uint64_t> count_in(std::uint64_t min, std::uint64_t max) {
    const auto show = [](std::uint64_t n) { return std::to_string(n); };
    return {"integer", fmt::format("{}..{}", min, max),
            fmt::format("a whole number from {} to {}", min, max),
            [min, max, show](std::string_view text) {
                return within(parse_uint(text), min, max, show);
            }};
}

Converter<bool> boolean() {
    return {"bool", "true | false", "true or false", parse_bool};
}

Converter<std::string> url_with_scheme(std::vector<std::string> schemes, bool port_required) {
    std::vector<std::string> prefixes;
    for (const auto& scheme : schemes) {
        prefixes.push_back(scheme + "://");
    }
    const auto joined = fmt::format("{}", fmt::join(prefixes, " or "));
    const auto expected = fmt::format("a {} URL{}", joined, port_required ? " with a port" : "");
    std::string constraint = joined;
    if (port_required) {
        for (auto& prefix : prefixes) {
            prefix += "host:port";
        }
        constraint = fmt::format("{}", fmt::join(prefixes, " or "));
    }
    return {"URL", constraint, expected,
            [schemes, port_required](std::string_view text) -> Expected<std::string> {
                auto url = parse_url(text);
                if (!url) {
                    return std::unexpected(url.error());
                }
                if (std::find(schemes.begin(), schemes.end(), url->scheme) == schemes.end()) {
                    return fail(fmt::format("scheme `{}` is not allowed here", url->scheme));
                }
                if (port_required && !url->port) {
                    return fail("missing port");
                }
                return std::string(text);
            }};
}

Converter<std::string> absolute_path() {
    return {"path", "absolute", "an absolute path",
            [](std::string_view text) -> Expected<std::string> {
                if (text.empty() || text.front() != '/') {
                    return fail("not an absolute path (must start with /)");
                }
                if (text.find('\0') != std::string_view::npos) {
                    return fail("contains a NUL byte");
                }
                return std::string(text);
            }};
}

Converter<std::string> name_token(std::string extra, std::size_t max_length) {
    const auto pattern = fmt::format("[A-Za-z0-9{}]{{1,{}}}", extra, max_length);
    return {"name", pattern, fmt::format("1 to {} characters of {}", max_length, pattern),
            [extra, max_length](std::string_view text) -> Expected<std::string> {
                if (text.empty()) {
                    return fail("empty");
                }
                if (text.size() > max_length) {
                    return fail(fmt::format("longer than {} characters", max_length));
                }
                for (char c : text) {
                    if (!is_alnum(c) && extra.find(c) == std::string::npos) {
                        return fail("contains a character that is not allowed");
                    }
                }
                return std::string(text);
            }};
}

Converter<std::string> free_text(std::size_t min_length, std::size_t max_length) {
    return {"string", fmt::format("{}..{} bytes", min_length, max_length),
            fmt::format("text of {} to {} bytes", min_length, max_length),
            [min_length, max_length](std::string_view text) -> Expected<std::string> {
                if (text.size() > max_length) {
                    return fail("too long");
                }
                if (text.size() < min_length) {
                    return fail("too short");
                }
                return std::string(text);
            }};
}

Converter<std::string> regex_pattern(std::size_t min_length, std::size_t max_length) {
    Converter<std::string> text = free_text(min_length, max_length);
    return {text.type, text.constraint,
            fmt::format("an RE2 pattern of {} to {} bytes", min_length, max_length),
            [length = text.convert](std::string_view pattern) -> Expected<std::string> {
                auto checked = length(pattern);
                if (!checked) return checked;
                if (auto compiled = policy::Regex::compile(pattern); !compiled) {
                    return std::unexpected(compiled.error());
                }
                return checked;
            }};
}

Converter<std::string> user_name() {
    auto token = name_token("._-", 32);
    return {"user name", "[A-Za-z0-9._-]{1,32}, not starting with -",
            "a user name (1 to 32 characters of [A-Za-z0-9._-], not starting with -)",
            [token](std::string_view text) -> Expected<std::string> {
                if (!text.empty() && text.front() == '-') {
                    return fail("starts with -");
                }
                return token.convert(text);
            }};
}

Converter<Key32> base64_32_bytes(Base64Alphabet alphabet, std::string what) {
    const bool url = alphabet == Base64Alphabet::url;
    const std::string name = url ? "base64url" : "base64";
    return {name, "32 bytes decoded", fmt::format("{} ({} encoding 32 bytes)", what, name),
            [alphabet](std::string_view text) -> Expected<Key32> {
                auto bytes = decode_base64(text, alphabet);
                if (!bytes) {
                    return std::unexpected(bytes.error());
                }
                if (bytes->size() != 32) {
                    return fail(fmt::format("decodes to {} bytes, not 32", bytes->size()));
                }
                Key32 key{};
                std::copy(bytes->begin(), bytes->end(), key.begin());
                return key;
            }};
}

}  // namespace outpost::config
