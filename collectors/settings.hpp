#pragma once
// The `collectors` config section (docs/configuration.md), as the registry
// and each collector read it. Defaults: every collector on, network file
// systems off, 2 s timeouts, top 5 processes, the usual Docker socket, at
// most 100 containers.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace outpost::collectors {

struct DisksSettings {
    bool enabled = true;
    bool network_fs = false;
    std::vector<std::string> exclude_mounts;
    std::chrono::milliseconds timeout{2000};
};

struct ProcessesSettings {
    bool enabled = true;
    std::uint32_t top = 5;
};

struct ContainersSettings {
    bool enabled = true;
    std::string socket = "/var/run/docker.sock";
    std::chrono::milliseconds timeout{2000};
    std::uint32_t max_containers = 100;
};

struct CollectorsSettings {
    bool cpu = true;
    bool memory = true;
    bool load = true;
    bool uptime = true;
    bool network = true;
    bool agent = true;
    DisksSettings disks;
    ProcessesSettings processes;
    ContainersSettings containers;
};

}  // namespace outpost::collectors
