// libFuzzer target for /proc/stat: arbitrary bytes as the file. A parse
// either fails with a message or yields cores whose shares, against any
// other reading (here: the same text parsed again, and the first half of
// the input as an earlier reading), are absent or within 0..100 %.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/cpu_parse.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

void require_shares_in_range(const outpost::protocol::outbound::CpuStats& cpu) {
    for (const auto& share : {cpu.usage_percent, cpu.user_percent, cpu.system_percent,
                              cpu.iowait_percent, cpu.steal_percent}) {
        if (share) require(*share >= 0.0 && *share <= 100.0);
    }
    for (double busy : cpu.per_core_percent) require(busy >= 0.0 && busy <= 100.0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Two readings: the text split at its first 0xff byte, or twice the same.
    const std::size_t split = input.find('\xff');
    const std::string_view first = input.substr(0, split);
    const std::string_view second =
        split == std::string_view::npos ? input : input.substr(split + 1);
    auto before = outpost::collectors::parse_proc_stat(first);
    auto after = outpost::collectors::parse_proc_stat(second);
    if (!before) require(!before.error().message().empty());
    if (!after) {
        require(!after.error().message().empty());
        return 0;
    }
    require_shares_in_range(outpost::collectors::cpu_shares(nullptr, *after));
    if (before) {
        const auto cpu = outpost::collectors::cpu_shares(&*before, *after);
        require(cpu.cores == after->cores.size());
        require_shares_in_range(cpu);
    }
    return 0;
}
