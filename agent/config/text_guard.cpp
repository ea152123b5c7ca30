#include "agent/config/text_guard.hpp"

#include <fmt/format.h>

#include "agent/config/loader.hpp"

namespace outpost::config {

// A NUL byte is refused wherever it is, even in a comment. Flow nesting is
// counted per bracket; block nesting cannot be deeper than the
// indentation plus the compact `- `/`? ` indicators that open a line. Both
// are over-estimates (a `[` inside a quoted string counts too), which only
// matters for files far outside anything a config looks like.
std::optional<TextRefusal> check_text_shape(std::string_view text) {
    if (text.size() > kMaxConfigBytes) {
        return TextRefusal{Position{1, 1},
                           fmt::format("the file is larger than {} bytes", kMaxConfigBytes)};
    }
    int flow_depth = 0;
    int line = 1;
    std::size_t line_start = 0;
    bool at_line_start = true;
    int block_depth = 0;
    bool in_comment = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto here = [&] { return Position{line, static_cast<int>(i - line_start) + 1}; };
        // YAML has no NUL in its character set, and yaml-cpp reads a NUL
        // after a `\` or inside a quoted scalar as an escape of its own
        // (`in<NUL>fo` became a form feed and `o`): refuse it where it is.
        if (c == '\0') {
            return TextRefusal{here(), "a NUL byte (U+0000) is not allowed in a YAML file"};
        }
        if (c == '\n') {
            ++line;
            line_start = i + 1;
            at_line_start = true;
            block_depth = 0;
            in_comment = false;
            continue;
        }
        if (in_comment) {
            continue;
        }
        if (at_line_start) {
            const bool indicator =
                (c == '-' || c == '?') && (i + 1 == text.size() || text[i + 1] == ' ');
            if (c == ' ' || c == '\t' || indicator) {
                ++block_depth;
                if (block_depth > kMaxNesting * 4) {
                    return TextRefusal{here(), "nested too deeply (or indented too far)"};
                }
                continue;
            }
            at_line_start = false;
        }
        if (c == '#' && (i == line_start || text[i - 1] == ' ' || text[i - 1] == '\t')) {
            in_comment = true;
        } else if (c == '[' || c == '{') {
            if (++flow_depth > kMaxNesting) {
                return TextRefusal{here(),
                                   fmt::format("nested deeper than {} levels", kMaxNesting)};
            }
        } else if ((c == ']' || c == '}') && flow_depth > 0) {
            --flow_depth;
        }
    }
    return std::nullopt;
}

}  // namespace outpost::config
