#include "agent/config/value_parsers.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace outpost::config {
namespace {

struct Unit {
    std::string_view suffix;
    std::uint64_t factor;
};

constexpr std::array<Unit, 5> kDurationUnits{{
    {"ms", 1},
    {"s", 1'000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

constexpr std::array<Unit, 5> kSizeUnits{{
    {"B", 1},
    {"KiB", std::uint64_t{1} << 10},
    {"MiB", std::uint64_t{1} << 20},
    {"GiB", std::uint64_t{1} << 30},
    {"TiB", std::uint64_t{1} << 40},
}};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Splits "123abc" into the number and the rest; refuses signs and overflow.
Expected<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
    if (text.empty()) {
        return fail("empty value");
    }
    if (text.front() == '-') {
        return fail("negative values are not allowed");
    }
    if (!is_digit(text.front())) {
        return fail("does not start with a number");
    }
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) {
        return fail("number is too large");
    }
    if (ec != std::errc{}) {
        return fail("not a number");
    }
    return std::pair{value, text.substr(static_cast<std::size_t>(ptr - text.data()))};
}

template <std::size_t N>
const Unit* find_unit(const std::array<Unit, N>& units, std::string_view suffix) {
    for (const auto& unit : units) {
        if (unit.suffix == suffix) {
            return &unit;
        }
    }
    return nullptr;
}

int base64_value(char c, Base64Alphabet alphabet) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    const char c62 = alphabet == Base64Alphabet::standard ? '+' : '-';
    const char c63 = alphabet == Base64Alphabet::standard ? '/' : '_';
    if (c == c62) return 62;
    if (c == c63) return 63;
    return -1;
}

}  // namespace

Expected<Duration> parse_duration(std::string_view text) {
    auto split = split_number(text);
    if (!split) {
        return std::unexpected(split.error());
    }
    auto [number, suffix] = *split;
    if (suffix.empty()) {
        return fail("missing unit (ms, s, m, h or d)");
    }
    const Unit* unit = find_unit(kDurationUnits, suffix);
    if (unit == nullptr) {
        return fail(fmt::format("unknown unit `{}` (use ms, s, m, h or d)", suffix));
    }
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
    if (number > kMax / unit->factor) {
        return fail("duration is too large");
    }
    return Duration{static_cast<Duration::rep>(number * unit->factor)};
}

Expected<std::uint64_t> parse_size(std::string_view text) {
    auto split = split_number(text);
    if (!split) {
        return std::unexpected(split.error());
    }
    auto [number, suffix] = *split;
    if (suffix.empty()) {
        return number;
    }
    const Unit* unit = find_unit(kSizeUnits, suffix);
    if (unit == nullptr) {
        return fail(fmt::format("unknown unit `{}` (use B, KiB, MiB, GiB or TiB)", suffix));
    }
    if (number > std::numeric_limits<std::uint64_t>::max() / unit->factor) {
        return fail("size is too large");
    }
    return number * unit->factor;
}

Expected<std::uint64_t> parse_uint(std::string_view text) {
    auto split = split_number(text);
    if (!split) {
        return std::unexpected(split.error());
    }
    if (!split->second.empty()) {
        return fail("not a whole number");
    }
    return split->first;
}

Expected<bool> parse_bool(std::string_view text) {
    if (text == "true" || text == "True" || text == "TRUE") {
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        return false;
    }
    return fail("not true or false");
}

Expected<std::vector<std::uint8_t>> decode_base64(std::string_view text, Base64Alphabet alphabet) {
    std::size_t padding = 0;
    while (!text.empty() && text.back() == '=' && padding < 3) {
        text.remove_suffix(1);
        ++padding;
    }
    if (padding > 0 && (padding > 2 || (text.size() + padding) % 4 != 0)) {
        return fail("wrong `=` padding");
    }
    if (text.size() % 4 == 1) {
        return fail("wrong length for base64");
    }
    std::vector<std::uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int value = base64_value(c, alphabet);
        if (value < 0) {
            return fail(
                fmt::format("invalid character for {} base64",
                            alphabet == Base64Alphabet::standard ? "standard" : "URL-safe"));
        }
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xFFU));
        }
    }
    if ((buffer & ((1U << bits) - 1U)) != 0) {
        return fail("non-canonical base64 (trailing bits set)");
    }
    return out;
}

Expected<Url> parse_url(std::string_view text) {
    for (char c : text) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return fail("contains whitespace or control characters");
        }
    }
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) {
        return fail("not a URL (expected scheme://host)");
    }
    Url url;
    for (char c : text.substr(0, scheme_end)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                        c == '+' || c == '-' || c == '.';
        if (!ok) {
            return fail("invalid scheme");
        }
        url.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    std::string_view rest = text.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    url.path =
        authority_end == std::string_view::npos ? "" : std::string(rest.substr(authority_end));
    if (url.path.find('#') != std::string::npos) {
        return fail("fragments (#...) are not allowed");
    }
    if (authority.find('@') != std::string_view::npos) {
        return fail("user info (user@host) is not allowed");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail("unterminated IPv6 address");
        }
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return fail("junk after IPv6 address");
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                return fail("empty port");
            }
        }
    } else {
        const auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                return fail("empty port");
            }
        }
    }
    if (url.host.empty()) {
        return fail("missing host");
    }
    if (!port_text.empty()) {
        auto port = parse_uint(port_text);
        if (!port || *port == 0 || *port > 65535) {
            return fail("port must be 1..65535");
        }
        url.port = static_cast<std::uint16_t>(*port);
    }
    return url;
}

std::string format_duration(Duration value) {
    const auto count = static_cast<std::uint64_t>(value.count());
    for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
        if (count != 0 && count % it->factor == 0) {
            return fmt::format("{}{}", count / it->factor, it->suffix);
        }
    }
    return fmt::format("{}ms", value.count());
}

std::string format_size(std::uint64_t bytes) {
    for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it) {
        if (bytes != 0 && it->factor > 1 && bytes % it->factor == 0) {
            return fmt::format("{}{}", bytes / it->factor, it->suffix);
        }
    }
    return fmt::format("{}B", bytes);
}

}  // namespace outpost::config
