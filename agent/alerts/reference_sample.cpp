// The sample metric paths are checked against (metric_resolve.hpp): every
// optional section present, every list with one item, so that each field the
// encoder can write is there to be found.

#include "agent/alerts/metric_resolve.hpp"

namespace outpost::alerts {

protocol::outbound::Telemetry reference_sample() {
    namespace out = protocol::outbound;
    out::Telemetry sample;
    out::CpuStats cpu;
    cpu.usage_percent = cpu.user_percent = cpu.system_percent = 0;
    cpu.iowait_percent = cpu.steal_percent = 0;
    cpu.per_core_percent = {0};
    sample.system.cpu = cpu;
    out::MemoryStats memory;
    out::PressureStats pressure;
    pressure.cpu_some = pressure.memory_some = pressure.memory_full = 0;
    pressure.io_some = pressure.io_full = 0;
    memory.pressure = pressure;
    sample.system.memory = memory;
    sample.system.load = out::LoadAverage{};
    sample.system.uptime_s = 0;
    out::DiskStats disk;
    disk.mount = "/";
    sample.system.disks.push_back(disk);
    out::NetworkStats network;
    network.interface = "eth0";
    network.per_second = out::NetworkRates{};
    sample.system.network.push_back(network);
    out::ProcessStats processes;
    out::ProcessEntry process;
    process.pid = 1;
    process.name = "init";
    processes.top_cpu.push_back(process);
    processes.top_rss.push_back(process);
    sample.system.processes = processes;
    out::ContainerStats container;
    container.name = "web";
    container.cpu_percent = 0;
    container.memory_bytes = 0;
    sample.containers.push_back(container);
    sample.agent.journal_bytes = 0;
    return sample;
}

}  // namespace outpost::alerts
