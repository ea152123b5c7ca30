#pragma once
// Which collectors run and how (the `collectors` config section,
// agent/config/schema_collectors.cpp). The defaults are the schema's; the
// member initialisers below only repeat them for code that builds settings
// by hand (tests, benchmarks).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace outpost::collectors {

struct DisksSettings {
    bool enabled = true;
    // nfs, cifs, ceph, … are statvfs'ed only when asked: a hung server makes
    // the call hang (it runs on a helper thread, disks_collector.hpp).
    bool network_fs = false;
    std::vector<std::string> exclude_mounts;  // mount points, exact match
    std::chrono::milliseconds timeout{2000};  // the whole statvfs pass
    bool operator==(const DisksSettings&) const = default;
};

struct ProcessesSettings {
    bool enabled = true;
    std::uint32_t top = 5;  // entries in top_cpu and in top_rss
    bool operator==(const ProcessesSettings&) const = default;
};

struct ContainersSettings {
    bool enabled = true;
    std::string socket = "/var/run/docker.sock";
    std::chrono::milliseconds timeout{2000};
    std::uint32_t max_containers = 100;
    bool operator==(const ContainersSettings&) const = default;
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
    bool operator==(const CollectorsSettings&) const = default;
};

}  // namespace outpost::collectors
