// libFuzzer target for the config loader: arbitrary bytes as a config file.
// Whatever the input, loading must return (no crash, hang or exception), and a
// refusal must carry at least one issue that names the source and says what
// is wrong, in text with no terminal control and no ill-formed UTF-8 (the
// file's bytes are quoted in it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/common/json/utf8.hpp"
#include "agent/config/loader.hpp"

namespace {

// What printable() promises: valid UTF-8 with no C0 (tab aside), DEL or C1.
bool printable(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const auto step = outpost::json::utf8::step(text, pos);
        if (!step.valid) return false;
        const auto* b = reinterpret_cast<const unsigned char*>(text.data() + pos);
        if (step.length == 1 && ((b[0] < 0x20 && b[0] != '\t') || b[0] == 0x7f)) return false;
        if (step.length == 2 && b[0] == 0xc2 && b[1] < 0xa0) return false;  // U+0080..U+009F
        pos += step.length;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = outpost::config::load_config_text(text, "fuzz.yaml");
    if (result) {
        // A loaded config holds what the rules promise.
        if (result->reconnect.max < result->reconnect.initial || result->server.url.empty() ||
            result->auth.audience.empty()) {
            std::abort();
        }
        return 0;
    }
    if (result.error().empty()) {
        std::abort();
    }
    for (const auto& issue : result.error()) {
        if (issue.file != "fuzz.yaml" || issue.message.empty() || issue.line < 0 ||
            issue.column < 0) {
            std::abort();
        }
        const std::string line = outpost::config::format_issue(issue);
        if (line.empty() || !printable(line)) {
            std::abort();
        }
    }
    return 0;
}
