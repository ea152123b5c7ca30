#include "agent/common/json/utf8.hpp"

#include <cstdint>

namespace outpost::json::utf8 {

Step step(std::string_view text, std::size_t pos) noexcept {
    const auto lead = static_cast<std::uint8_t>(text[pos]);
    if (lead < 0x80) {
        return {1, true};
    }
    std::size_t continuation = 0;
    std::uint8_t second_lo = 0x80;
    std::uint8_t second_hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation = 1;
    } else if (lead == 0xE0) {
        continuation = 2;
        second_lo = 0xA0;  // below: overlong
    } else if (lead == 0xED) {
        continuation = 2;
        second_hi = 0x9F;  // above: UTF-16 surrogates
    } else if (lead >= 0xE1 && lead <= 0xEF) {
        continuation = 2;
    } else if (lead == 0xF0) {
        continuation = 3;
        second_lo = 0x90;  // below: overlong
    } else if (lead >= 0xF1 && lead <= 0xF3) {
        continuation = 3;
    } else if (lead == 0xF4) {
        continuation = 3;
        second_hi = 0x8F;  // above: > U+10FFFF
    } else {
        return {1, false};  // C0, C1, F5..FF or a stray continuation byte
    }
    std::size_t length = 1;
    for (std::size_t k = 0; k < continuation; ++k) {
        if (pos + length >= text.size()) {
            return {length, false};
        }
        const auto byte = static_cast<std::uint8_t>(text[pos + length]);
        const std::uint8_t lo = k == 0 ? second_lo : std::uint8_t{0x80};
        const std::uint8_t hi = k == 0 ? second_hi : std::uint8_t{0xBF};
        if (byte < lo || byte > hi) {
            return {length, false};
        }
        ++length;
    }
    return {length, true};
}

std::size_t find_invalid(std::string_view text) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (static_cast<std::uint8_t>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const Step s = step(text, pos);
        if (!s.valid) {
            return pos;
        }
        pos += s.length;
    }
    return std::string_view::npos;
}

void append_sanitized(std::string& out, std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const Step s = step(text, pos);
        if (s.valid) {
            out.append(text.substr(pos, s.length));
        } else {
            out.append(kReplacement);
        }
        pos += s.length;
    }
}

std::string sanitize(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_sanitized(out, text);
    return out;
}

}  // namespace outpost::json::utf8
