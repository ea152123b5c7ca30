#include "collectors/registry.hpp"

#include "collectors/agent_collector.hpp"
#include "collectors/containers/containers_collector.hpp"
#include "collectors/cpu_collector.hpp"
#include "collectors/disks_collector.hpp"
#include "collectors/load_collector.hpp"
#include "collectors/memory_collector.hpp"
#include "collectors/network_collector.hpp"
#include "collectors/processes_collector.hpp"

namespace outpost::collectors {
namespace {

struct Row {
    std::string_view name;
    bool (*enabled)(const CollectorsSettings&);
    std::unique_ptr<Collector> (*make)(const CollectorsSettings&, const Roots&);
};

const Row kRows[] = {
    {"cpu", [](const CollectorsSettings& s) { return s.cpu; },
     [](const CollectorsSettings&, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<CpuCollector>(r);
     }},
    {"memory", [](const CollectorsSettings& s) { return s.memory; },
     [](const CollectorsSettings&, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<MemoryCollector>(r);
     }},
    {"load", [](const CollectorsSettings& s) { return s.load; },
     [](const CollectorsSettings&, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<LoadCollector>(r);
     }},
    {"uptime", [](const CollectorsSettings& s) { return s.uptime; },
     [](const CollectorsSettings&, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<UptimeCollector>(r);
     }},
    {"disks", [](const CollectorsSettings& s) { return s.disks.enabled; },
     [](const CollectorsSettings& s, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<DisksCollector>(s.disks, r);
     }},
    {"network", [](const CollectorsSettings& s) { return s.network; },
     [](const CollectorsSettings&, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<NetworkCollector>(r);
     }},
    {"processes", [](const CollectorsSettings& s) { return s.processes.enabled; },
     [](const CollectorsSettings& s, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<ProcessesCollector>(s.processes, r);
     }},
    {"containers", [](const CollectorsSettings& s) { return s.containers.enabled; },
     [](const CollectorsSettings& s, const Roots&) -> std::unique_ptr<Collector> {
         return make_containers_collector(s.containers);
     }},
    {"agent", [](const CollectorsSettings& s) { return s.agent; },
     [](const CollectorsSettings&, const Roots& r) -> std::unique_ptr<Collector> {
         return std::make_unique<AgentCollector>(r);
     }},
};

}  // namespace

std::vector<std::unique_ptr<Collector>> make_collectors(const CollectorsSettings& settings,
                                                        const Roots& roots) {
    std::vector<std::unique_ptr<Collector>> collectors;
    for (const Row& row : kRows) {
        if (row.enabled(settings)) collectors.push_back(row.make(settings, roots));
    }
    return collectors;
}

std::vector<std::string_view> collector_names() {
    std::vector<std::string_view> names;
    for (const Row& row : kRows) names.push_back(row.name);
    return names;
}

std::vector<std::string> disabled_collector_names(const CollectorsSettings& settings) {
    std::vector<std::string> names;
    for (const Row& row : kRows) {
        if (!row.enabled(settings)) names.emplace_back(row.name);
    }
    return names;
}

}  // namespace outpost::collectors
