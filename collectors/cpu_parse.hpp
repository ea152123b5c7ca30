#pragma once
// /proc/stat's cpu lines, and the busy shares between two readings of them.
// Pure functions over text and values, so snapshots and fuzzers drive them.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::collectors {

// Clock ticks since boot, as /proc/stat counts them. guest and guest_nice
// are not kept: the kernel already counts them inside user and nice.
struct CpuTimes {
    std::uint64_t user = 0;
    std::uint64_t nice = 0;
    std::uint64_t system = 0;
    std::uint64_t idle = 0;
    std::uint64_t iowait = 0;
    std::uint64_t irq = 0;
    std::uint64_t softirq = 0;
    std::uint64_t steal = 0;
};

struct CoreTimes {
    std::uint32_t index = 0;  // N of `cpuN`; offline cores have no line
    CpuTimes times;
};

struct ProcStat {
    CpuTimes total;                // the `cpu` line
    std::vector<CoreTimes> cores;  // the `cpuN` lines, in file order
};

// Needs the `cpu` line with at least user, nice, system and idle (kernels
// before 2.6 have only those; the missing columns count as zero). A bad
// `cpuN` line is an error too: half a core list would misreport the cores.
[[nodiscard]] Expected<ProcStat> parse_proc_stat(std::string_view text);

// The shares since `previous`. Without one (first sample) only `cores` is
// set. A counter that went backwards (a counter reset, a core taken offline
// and back, a snapshot from another boot) gives no shares rather than a
// negative or >100 % one: for the total, the percentages stay absent; for
// the cores, per_core_percent stays empty unless every core present in both
// readings has a valid delta and the set of cores is the same.
// busy = everything but idle and iowait (steal counts as busy: the VM wanted
// the CPU); user_percent includes nice.
[[nodiscard]] protocol::outbound::CpuStats cpu_shares(const ProcStat* previous,
                                                      const ProcStat& current);

}  // namespace outpost::collectors
