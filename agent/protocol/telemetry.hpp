#pragma once
// The `telemetry` message body (protocol.md §3.2). Collectors fill it in; a
// section a collector could not read stays empty (null, or an empty list)
// and the collector says why in `collectors` — a failing collector never
// stops the others. Rates and percentages need two readings: on the first
// sample after start they are absent (null), never a made-up zero.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace outpost::protocol::outbound {

struct CpuStats {
    // All cores, since the previous sample: the busy share and its parts.
    std::optional<double> usage_percent;
    std::optional<double> user_percent;
    std::optional<double> system_percent;
    std::optional<double> iowait_percent;
    std::optional<double> steal_percent;
    std::vector<double> per_core_percent;  // busy % per core, in /proc/stat order
    std::uint32_t cores = 0;
};

// Pressure stall information (/proc/pressure/*, kernel ≥ 4.20 with PSI on):
// the avg10 shares, in percent.
struct PressureStats {
    std::optional<double> cpu_some;
    std::optional<double> memory_some;
    std::optional<double> memory_full;
    std::optional<double> io_some;
    std::optional<double> io_full;
};

struct MemoryStats {
    std::uint64_t total_bytes = 0;
    std::uint64_t available_bytes = 0;
    std::uint64_t used_bytes = 0;  // total - available
    double used_percent = 0;
    std::uint64_t swap_total_bytes = 0;
    std::uint64_t swap_used_bytes = 0;
    std::optional<PressureStats> pressure;  // absent when the kernel has no PSI
};

struct LoadAverage {
    double load1 = 0;
    double load5 = 0;
    double load15 = 0;
};

struct DiskStats {
    std::string mount;
    std::string device;
    std::string fs_type;
    std::uint64_t total_bytes = 0;
    std::uint64_t used_bytes = 0;
    std::uint64_t available_bytes = 0;
    double used_percent = 0;  // of what a non-root user can use, like df
    std::uint64_t inodes_total = 0;
    std::uint64_t inodes_used = 0;
    double inodes_used_percent = 0;
    // Set when statvfs did not answer in time (a hung NFS mount) or failed;
    // the numbers are then zero.
    std::optional<std::string> error;
};

// Per second, over the time since the previous sample.
struct NetworkRates {
    double rx_bytes = 0;
    double tx_bytes = 0;
    double rx_packets = 0;
    double tx_packets = 0;
    double rx_errors = 0;
    double tx_errors = 0;
    double rx_drops = 0;
    double tx_drops = 0;
};

struct NetworkStats {
    std::string interface;
    std::optional<NetworkRates> per_second;  // absent on the first sample
};

struct ProcessEntry {
    std::int64_t pid = 0;
    std::string name;  // comm
    std::string user;  // the real uid's name, or the number when unknown
    double cpu_percent = 0;
    std::uint64_t rss_bytes = 0;
};

struct ProcessStats {
    std::uint64_t total = 0;
    std::uint64_t running = 0;
    std::uint64_t blocked = 0;
    std::uint64_t zombie = 0;
    std::uint64_t threads = 0;
    std::vector<ProcessEntry> top_cpu;  // at most collectors.processes.top
    std::vector<ProcessEntry> top_rss;
};

struct SystemStats {
    std::optional<CpuStats> cpu;
    std::optional<MemoryStats> memory;
    std::optional<LoadAverage> load;
    std::optional<std::uint64_t> uptime_s;
    std::vector<DiskStats> disks;
    std::vector<NetworkStats> network;
    std::optional<ProcessStats> processes;
};

struct ContainerStats {
    std::string id;
    std::string name;  // without Docker's leading '/'
    std::string image;
    std::string state;   // Docker's State: "running", "exited", "restarting", …
    std::string health;  // "healthy", "unhealthy", "starting", or "" without a healthcheck
    std::optional<double> cpu_percent;
    std::optional<std::uint64_t> memory_bytes;
    std::uint64_t restarts = 0;
};

struct OutboxStats {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    // A running total since the state directory was created, persisted and
    // never decreasing (protocol.md §3.4).
    std::uint64_t dropped = 0;
};

struct AgentStats {
    std::string version;
    std::uint64_t rss_bytes = 0;
    double cpu_seconds = 0;
    std::uint64_t uptime_s = 0;
    std::uint64_t open_fds = 0;
    std::optional<std::uint64_t> journal_bytes;
    OutboxStats outbox;
    std::uint64_t commands_running = 0;
};

// A collector that did not contribute fully: `skipped` (its source does not
// exist here, e.g. no Docker socket), `failed` (the source exists and could
// not be read), or `partial` (it wrote its values, and says what about them
// a reader must know: a list capped, a fallback used, a walk cut short at
// its deadline). Only these are sent; a collector that just worked has no
// entry.
struct CollectorProblem {
    std::string collector;
    enum class State { skipped, failed, partial } state = State::failed;
    std::string message;
};

// One part of a sample too large for one message (protocol.md §3.1 size
// limit): every part carries the sample's seq and collected_at.
struct SamplePart {
    std::uint32_t index = 0;  // 1-based
    std::uint32_t count = 1;
};

struct Telemetry {
    std::string node_id;
    std::uint64_t seq = 0;
    std::string collected_at;  // RFC 3339
    SystemStats system;
    std::vector<ContainerStats> containers;
    AgentStats agent;
    std::vector<CollectorProblem> collectors;
    std::optional<SamplePart> part;
};

}  // namespace outpost::protocol::outbound
