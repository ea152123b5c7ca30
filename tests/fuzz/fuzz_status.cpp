// libFuzzer target for `outpost status`'s reader: arbitrary bytes as the
// status socket's answer. A parse either fails with a message or yields a
// report that renders, and whose JSON reads back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/status/report.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto report = outpost::status::parse_report(input);
    if (!report) {
        require(!report.error().message().empty());
        return 0;
    }
    const std::string text = outpost::status::render_text(*report);
    for (char c : text) require(c == '\n' || static_cast<unsigned char>(c) >= 0x20);
    const std::string json = outpost::status::to_json(*report);
    auto again = outpost::status::parse_report(json);
    require(again.has_value());
    require(outpost::status::to_json(*again) == json);
    (void)outpost::status::healthy(*report);
    return 0;
}
