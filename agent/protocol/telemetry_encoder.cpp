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

void write_system(json::JsonWriter& out, const SystemStats& system) {
    out.begin_object();
    optional_object(out, "cpu", system.cpu, [&](const CpuStats& cpu) {
        out.member("usage_percent", cpu.usage_percent)
            .member("user_percent", cpu.user_percent)
            .member("system_percent", cpu.system_percent)
            .member("iowait_percent", cpu.iowait_percent)
            .member("cores", std::uint64_t{cpu.cores});
    });
    optional_object(out, "memory", system.memory, [&](const MemoryStats& memory) {
        out.member("total_bytes", memory.total_bytes)
            .member("available_bytes", memory.available_bytes)
            .member("used_bytes", memory.used_bytes)
            .member("swap_total_bytes", memory.swap_total_bytes)
            .member("swap_used_bytes", memory.swap_used_bytes);
    });
    optional_object(out, "load", system.load, [&](const LoadAverage& load) {
        out.member("load1", load.load1).member("load5", load.load5).member("load15", load.load15);
    });
    out.member("uptime_s", system.uptime_s);
    out.key("disks").begin_array();
    for (const DiskStats& disk : system.disks) {
        out.begin_object()
            .member("mount", disk.mount)
            .member("device", disk.device)
            .member("fs_type", disk.fs_type)
            .member("total_bytes", disk.total_bytes)
            .member("used_bytes", disk.used_bytes)
            .member("available_bytes", disk.available_bytes)
            .member("inodes_total", disk.inodes_total)
            .member("inodes_used", disk.inodes_used)
            .end_object();
    }
    out.end_array();
    out.key("network").begin_array();
    for (const NetworkStats& net : system.network) {
        out.begin_object()
            .member("interface", net.interface)
            .member("rx_bytes", net.rx_bytes)
            .member("tx_bytes", net.tx_bytes)
            .member("rx_errors", net.rx_errors)
            .member("tx_errors", net.tx_errors)
            .end_object();
    }
    out.end_array();
    optional_object(out, "processes", system.processes, [&](const ProcessStats& processes) {
        out.member("total", processes.total)
            .member("running", processes.running)
            .member("blocked", processes.blocked)
            .member("zombie", processes.zombie);
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
            .member("state", container.state);
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
        .member("uptime_s", agent.uptime_s);
    out.key("outbox")
        .begin_object()
        .member("messages", agent.outbox.messages)
        .member("bytes", agent.outbox.bytes)
        .member("dropped", agent.outbox.dropped)
        .end_object();
    out.member("commands_running", agent.commands_running).end_object();
}

}  // namespace

void write_telemetry(json::JsonWriter& out, const Telemetry& telemetry) {
    out.begin_object()
        .member("node_id", telemetry.node_id)
        .member("seq", telemetry.seq)
        .member("collected_at", telemetry.collected_at);
    out.key("system");
    write_system(out, telemetry.system);
    out.key("containers");
    write_containers(out, telemetry.containers);
    out.key("agent");
    write_agent(out, telemetry.agent);
    out.end_object();
}

}  // namespace outpost::protocol
