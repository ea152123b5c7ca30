// libFuzzer target for the config loader: arbitrary bytes as a config file.
// Whatever the input, loading must return (no crash, hang or exception), and a
// refusal must carry at least one issue that names the source and says what
// is wrong.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/config/loader.hpp"

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
        if (line.empty()) {
            std::abort();
        }
    }
    return 0;
}
