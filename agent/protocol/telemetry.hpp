#pragma once
// The `telemetry` message body (protocol.md §3.2). Collectors fill it in; a
// section a collector could not read stays empty and is sent as null.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace outpost::protocol::outbound {

struct CpuStats {
    double usage_percent = 0;  // all cores, since the previous sample
    double user_percent = 0;
    double system_percent = 0;
    double iowait_percent = 0;
    std::uint32_t cores = 0;
};

struct MemoryStats {
    std::uint64_t total_bytes = 0;
    std::uint64_t available_bytes = 0;
    std::uint64_t used_bytes = 0;
    std::uint64_t swap_total_bytes = 0;
    std::uint64_t swap_used_bytes = 0;
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
    std::uint64_t inodes_total = 0;
    std::uint64_t inodes_used = 0;
};

struct NetworkStats {
    std::string interface;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_bytes = 0;
    std::uint64_t rx_errors = 0;
    std::uint64_t tx_errors = 0;
};

struct ProcessStats {
    std::uint64_t total = 0;
    std::uint64_t running = 0;
    std::uint64_t blocked = 0;
    std::uint64_t zombie = 0;
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
    std::string name;
    std::string image;
    std::string state;  // e.g. "running", "exited"
    std::optional<double> cpu_percent;
    std::optional<std::uint64_t> memory_bytes;
    std::uint64_t restarts = 0;
};

struct OutboxStats {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::uint64_t dropped = 0;  // telemetry dropped since the previous sample (§3.4)
};

struct AgentStats {
    std::string version;
    std::uint64_t rss_bytes = 0;
    double cpu_seconds = 0;
    std::uint64_t uptime_s = 0;
    OutboxStats outbox;
    std::uint64_t commands_running = 0;
};

struct Telemetry {
    std::string node_id;
    std::uint64_t seq = 0;
    std::string collected_at;  // RFC 3339
    SystemStats system;
    std::vector<ContainerStats> containers;
    AgentStats agent;
};

}  // namespace outpost::protocol::outbound
