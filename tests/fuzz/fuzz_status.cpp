// libFuzzer target for `outpost status`'s reader: arbitrary bytes as the
// status socket's answer. A parse either fails with a message or yields a
// report that renders, and whose JSON reads back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/common/json/utf8.hpp"
#include "agent/status/report.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

// Nothing a terminal would act on: valid UTF-8, no C0 (but the line breaks
// the text form is made of), DEL, C1, bidi overrides or isolates.
void require_printable(std::string_view text, bool allow_newline) {
    for (std::size_t pos = 0; pos < text.size();) {
        const auto step = outpost::json::utf8::step(text, pos);
        require(step.valid);
        const auto* b = reinterpret_cast<const unsigned char*>(text.data() + pos);
        if (step.length == 1) {
            require((b[0] >= 0x20 && b[0] != 0x7f) || (allow_newline && b[0] == '\n'));
        } else if (step.length == 2) {
            require(!(b[0] == 0xc2 && b[1] < 0xa0));  // U+0080..U+009F
        } else if (step.length == 3 && b[0] == 0xe2) {
            require(!(b[1] == 0x80 && b[2] >= 0xaa && b[2] <= 0xae));  // U+202A..U+202E
            require(!(b[1] == 0x81 && b[2] >= 0xa6 && b[2] <= 0xa9));  // U+2066..U+2069
        }
        pos += step.length;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto report = outpost::status::parse_report(input);
    // Both what the CLI prints on stdout and the error it prints on stderr.
    require_printable(outpost::status::printable(input), false);
    if (!report) {
        require(!report.error().message().empty());
        require_printable(outpost::status::printable(report.error().message()), false);
        return 0;
    }
    require_printable(outpost::status::render_text(*report), true);
    const std::string json = outpost::status::to_json(*report);
    auto again = outpost::status::parse_report(json);
    require(again.has_value());
    require(outpost::status::to_json(*again) == json);
    (void)outpost::status::healthy(*report);
    return 0;
}
