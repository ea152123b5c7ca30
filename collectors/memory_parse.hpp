#pragma once
// /proc/meminfo and /proc/pressure/* as pure functions over text.

#include <cstdint>
#include <optional>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::collectors {

// The meminfo lines we use, in bytes (the file says kB, meaning KiB).
struct MemInfo {
    std::uint64_t total = 0;
    std::optional<std::uint64_t> available;  // absent before Linux 3.14
    std::uint64_t free = 0;
    std::uint64_t buffers = 0;
    std::uint64_t cached = 0;
    std::uint64_t swap_total = 0;
    std::uint64_t swap_free = 0;
};

// Needs MemTotal (> 0) and MemFree; other missing lines count as zero (a
// container's LXCFS meminfo may lack Swap*). A line we use that does not
// parse, or whose value overflows in bytes, is an error.
[[nodiscard]] Expected<MemInfo> parse_meminfo(std::string_view text);

struct MemoryFigures {
    protocol::outbound::MemoryStats stats;  // without pressure
    // MemAvailable was missing: available = MemFree + Buffers + Cached, which
    // overstates it (not all cache can be dropped).
    bool estimated_available = false;
};

[[nodiscard]] MemoryFigures memory_figures(const MemInfo& info);

// One /proc/pressure/<resource> file: the avg10 of its `some` and `full`
// lines, in percent. A file without a `some` line is an error; `full` is
// absent for cpu on kernels before 5.13.
struct Pressure {
    double some_avg10 = 0;
    std::optional<double> full_avg10;
};
[[nodiscard]] Expected<Pressure> parse_pressure(std::string_view text);

}  // namespace outpost::collectors
