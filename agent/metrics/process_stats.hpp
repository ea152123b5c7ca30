#pragma once
// The standard `process_*` metrics (Prometheus client libraries' set), read
// from /proc/self like they do: CPU seconds and start time from stat, memory
// from statm, open fds from fd/, the fd limit from getrlimit.

#include <cstdint>
#include <optional>

namespace outpost::metrics {

struct ProcessStats {
    double cpu_seconds = 0;  // user + system
    std::uint64_t resident_bytes = 0;
    std::uint64_t virtual_bytes = 0;
    std::uint64_t open_fds = 0;
    std::optional<std::uint64_t> max_fds;  // nullopt: unlimited
    double start_time_seconds = 0;         // since the Unix epoch
};

// Nullopt when /proc is not mounted (the metrics then leave these out).
[[nodiscard]] std::optional<ProcessStats> read_process_stats();

}  // namespace outpost::metrics
