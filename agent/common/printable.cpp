#include "agent/common/printable.hpp"

#include <fmt/format.h>

#include "agent/common/json/utf8.hpp"

namespace outpost {
namespace {

// Code points a terminal acts on or that reorder what is shown: C0 and DEL,
// C1 (U+0080..U+009F: CSI is U+009B), and the bidi embeddings, overrides and
// isolates (U+202A..U+202E, U+2066..U+2069).
bool is_control(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

// The code point of one well-formed UTF-8 sequence (utf8::step said so).
char32_t decode(std::string_view bytes) {
    auto b = [&](std::size_t i) {
        return static_cast<char32_t>(static_cast<unsigned char>(bytes[i]));
    };
    switch (bytes.size()) {
        case 1:
            return b(0);
        case 2:
            return ((b(0) & 0x1f) << 6) | (b(1) & 0x3f);
        case 3:
            return ((b(0) & 0x0f) << 12) | ((b(1) & 0x3f) << 6) | (b(2) & 0x3f);
        default:
            return ((b(0) & 0x07) << 18) | ((b(1) & 0x3f) << 12) | ((b(2) & 0x3f) << 6) |
                   (b(3) & 0x3f);
    }
}

}  // namespace

std::string printable(std::string_view text, Tabs tabs) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const json::utf8::Step step = json::utf8::step(text, pos);
        const std::string_view bytes = text.substr(pos, step.length);
        if (!step.valid) {
            // Raw bytes, e.g. 0x9B: an 8-bit terminal takes it for CSI.
            for (const unsigned char c : bytes) out += fmt::format("\\x{:02x}", c);
        } else if (const char32_t cp = decode(bytes);
                   is_control(cp) && (cp != '\t' || tabs == Tabs::escape)) {
            out += cp < 0x80 ? fmt::format("\\x{:02x}", static_cast<unsigned>(cp))
                             : fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
        } else {
            out += bytes;
        }
        pos += step.length;
    }
    return out;
}

}  // namespace outpost
