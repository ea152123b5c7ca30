#include "agent/logs/journal/message_text.hpp"

#include <algorithm>

#include "agent/common/json/utf8.hpp"

namespace outpost::logs {

CappedText cap_message(std::string_view raw, std::size_t cap) {
    namespace utf8 = json::utf8;
    CappedText out;
    out.text.reserve(std::min(raw.size(), cap));
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const utf8::Step step = utf8::step(raw, pos);
        const std::string_view piece =
            step.valid ? raw.substr(pos, step.length) : utf8::kReplacement;
        if (out.text.size() + piece.size() > cap) {
            break;
        }
        out.text.append(piece);
        pos += step.length;
    }
    out.cut_bytes = raw.size() - pos;
    return out;
}

}  // namespace outpost::logs
