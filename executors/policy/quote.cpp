#include "executors/policy/quote.hpp"

#include <fmt/format.h>

namespace outpost::policy {

std::string quote(std::string_view text, std::size_t max_bytes) {
    std::size_t shown = text.size();
    if (shown > max_bytes) {
        shown = max_bytes;
        // Do not cut a UTF-8 sequence: back up to the start of a character.
        while (shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xC0) == 0x80) {
            --shown;
        }
    }
    std::string out = "\"";
    for (const char c : text.substr(0, shown)) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20 || byte == 0x7F) {
                    out += fmt::format("\\x{:02x}", byte);
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    if (shown < text.size()) {
        out += fmt::format("… ({} bytes)", text.size());
    }
    return out;
}

}  // namespace outpost::policy
