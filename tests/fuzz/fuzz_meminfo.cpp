// libFuzzer target for /proc/meminfo and /proc/pressure/*: arbitrary bytes
// as either file. A parse either fails with a message or yields figures
// that are consistent (used ≤ total, shares within 0..100 %).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/memory_parse.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto info = outpost::collectors::parse_meminfo(input)) {
        const auto figures = outpost::collectors::memory_figures(*info);
        const auto& m = figures.stats;
        require(m.total_bytes > 0);
        require(m.available_bytes <= m.total_bytes);
        require(m.used_bytes + m.available_bytes == m.total_bytes);
        require(m.used_percent >= 0.0 && m.used_percent <= 100.0);
        require(m.swap_used_bytes <= m.swap_total_bytes);
        require(figures.estimated_available == !info->available.has_value());
    } else {
        require(!info.error().message().empty());
    }
    if (auto pressure = outpost::collectors::parse_pressure(input)) {
        require(pressure->some_avg10 >= 0.0 && pressure->some_avg10 <= 100.0);
        if (pressure->full_avg10) {
            require(*pressure->full_avg10 >= 0.0 && *pressure->full_avg10 <= 100.0);
        }
    } else {
        require(!pressure.error().message().empty());
    }
    return 0;
}
