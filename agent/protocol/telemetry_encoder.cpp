#include "agent/protocol/telemetry_encoder.hpp"

namespace outpost::protocol {
namespace {

using namespace outpost::protocol::outbound;

template <class T, class Write>
void optional_object(json::JsonWriter& out, std::string_view name, const std::optional<T>& value,
                     Write write) {
    out.key(name);
    if (!value) {
        out.null();
        return;
    }
    out.begin_object();
    write(*value);
    out.end_object();
}

void write_cpu(json::JsonWriter& out, const CpuStats& cpu) {
    out.member("usage_percent", cpu.usage_percent)
        .member("user_percent", cpu.user_percent)
        .member("system_percent", cpu.system_percent)
        .member("iowait_percent", cpu.iowait_percent)
        .member("steal_percent", cpu.steal_percent)
        .member("cores", std::uint64_t{cpu.cores});
    out.key("per_core_percent").begin_array();
    for (double busy : cpu.per_core_percent) out.number(busy);
    out.end_array();
}

void write_memory(json::JsonWriter& out, const MemoryStats& memory) {
    out.member("total_bytes", memory.total_bytes)
        .member("available_bytes", memory.available_bytes)
        .member("used_bytes", memory.used_bytes)
        .member("used_percent", memory.used_percent)
        .member("swap_total_bytes", memory.swap_total_bytes)
        .member("swap_used_bytes", memory.swap_used_bytes);
    optional_object(out, "pressure", memory.pressure, [&](const PressureStats& psi) {
        out.member("cpu_some", psi.cpu_some)
            .member("memory_some", psi.memory_some)
            .member("memory_full", psi.memory_full)
            .member("io_some", psi.io_some)
            .member("io_full", psi.io_full);
    });
}

void write_disks(json::JsonWriter& out, const std::vector<DiskStats>& disks) {
    out.key("disks").begin_array();
    for (const DiskStats& disk : disks) {
        out.begin_object()
            .member("mount", disk.mount)
            .member("device", disk.device)
            .member("fs_type", disk.fs_type)
            .member("total_bytes", disk.total_bytes)
            .member("used_bytes", disk.used_bytes)
            .member("available_bytes", disk.available_bytes)
            .member("used_percent", disk.used_percent)
            .member("inodes_total", disk.inodes_total)
            .member("inodes_used", disk.inodes_used)
            .member("inodes_used_percent", disk.inodes_used_percent);
        if (disk.error) out.member("error", *disk.error);
        out.end_object();
    }
    out.end_array();
}

void write_network(json::JsonWriter& out, const std::vector<NetworkStats>& network) {
    out.key("network").begin_array();
    for (const NetworkStats& net : network) {
        out.begin_object().member("interface", net.interface);
        optional_object(out, "per_second", net.per_second, [&](const NetworkRates& rate) {
            out.member("rx_bytes", rate.rx_bytes)
                .member("tx_bytes", rate.tx_bytes)
                .member("rx_packets", rate.rx_packets)
                .member("tx_packets", rate.tx_packets)
                .member("rx_errors", rate.rx_errors)
                .member("tx_errors", rate.tx_errors)
                .member("rx_drops", rate.rx_drops)
                .member("tx_drops", rate.tx_drops);
        });
        out.end_object();
    }
    out.end_array();
}

void write_process_list(json::JsonWriter& out, std::string_view name,
                        const std::vector<ProcessEntry>& entries) {
    out.key(name).begin_array();
    for (const ProcessEntry& entry : entries) {
        out.begin_object()
            .member("pid", entry.pid)
            .member("name", entry.name)
            .member("user", entry.user)
            .member("cpu_percent", entry.cpu_percent)
            .member("rss_bytes", entry.rss_bytes)
            .end_object();
    }
    out.end_array();
}

void write_system(json::JsonWriter& out, const SystemStats& system) {
    out.begin_object();
    optional_object(out, "cpu", system.cpu, [&](const CpuStats& cpu) { write_cpu(out, cpu); });
    optional_object(out, "memory", system.memory,
                    [&](const MemoryStats& memory) { write_memory(out, memory); });
    optional_object(out, "load", system.load, [&](const LoadAverage& load) {
        out.member("load1", load.load1).member("load5", load.load5).member("load15", load.load15);
    });
    out.member("uptime_s", system.uptime_s);
    write_disks(out, system.disks);
    write_network(out, system.network);
    optional_object(out, "processes", system.processes, [&](const ProcessStats& processes) {
        out.member("total", processes.total)
            .member("running", processes.running)
            .member("blocked", processes.blocked)
            .member("zombie", processes.zombie)
            .member("threads", processes.threads);
        write_process_list(out, "top_cpu", processes.top_cpu);
        write_process_list(out, "top_rss", processes.top_rss);
    });
    out.end_object();
}

void write_containers(json::JsonWriter& out, const std::vector<ContainerStats>& containers) {
    out.begin_array();
    for (const ContainerStats& container : containers) {
        out.begin_object()
            .member("id", container.id)
            .member("name", container.name)
            .member("image", container.image)
            .member("state", container.state)
            .member("health", container.health);
        out.member("cpu_percent", container.cpu_percent);
        out.member("memory_bytes", container.memory_bytes);
        out.member("restarts", container.restarts).end_object();
    }
    out.end_array();
}

void write_agent(json::JsonWriter& out, const AgentStats& agent) {
    out.begin_object()
        .member("version", agent.version)
        .member("rss_bytes", agent.rss_bytes)
        .member("cpu_seconds", agent.cpu_seconds)
        .member("uptime_s", agent.uptime_s)
        .member("open_fds", agent.open_fds)
        .member("journal_bytes", agent.journal_bytes);
    out.key("outbox")
        .begin_object()
        .member("messages", agent.outbox.messages)
        .member("bytes", agent.outbox.bytes)
        .member("dropped", agent.outbox.dropped)
        .end_object();
    out.member("commands_running", agent.commands_running).end_object();
}

std::string_view state_name(CollectorProblem::State state) {
    switch (state) {
        case CollectorProblem::State::skipped:
            return "skipped";
        case CollectorProblem::State::failed:
            return "failed";
        case CollectorProblem::State::partial:
            return "partial";
    }
    return "failed";
}

// Only the collectors that did not contribute fully: {"containers": {"state":
// "skipped", "message": ".."}}; an empty object when all worked.
void write_collector_problems(json::JsonWriter& out,
                              const std::vector<CollectorProblem>& problems) {
    out.key("collectors").begin_object();
    for (const CollectorProblem& problem : problems) {
        out.key(problem.collector)
            .begin_object()
            .member("state", state_name(problem.state))
            .member("message", problem.message)
            .end_object();
    }
    out.end_object();
}

}  // namespace

void write_telemetry(json::JsonWriter& out, const Telemetry& telemetry) {
    out.begin_object()
        .member("node_id", telemetry.node_id)
        .member("seq", telemetry.seq)
        .member("collected_at", telemetry.collected_at);
    if (telemetry.part) {
        out.key("part")
            .begin_object()
            .member("index", std::uint64_t{telemetry.part->index})
            .member("count", std::uint64_t{telemetry.part->count})
            .end_object();
    }
    out.key("system");
    write_system(out, telemetry.system);
    out.key("containers");
    write_containers(out, telemetry.containers);
    out.key("agent");
    write_agent(out, telemetry.agent);
    write_collector_problems(out, telemetry.collectors);
    out.end_object();
}

}  // namespace outpost::protocol
