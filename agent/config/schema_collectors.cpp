// Schema of the `collectors` section: one sub-section per collector, each
// with `enabled` and the collector's own keys. The values land in
// collectors::CollectorsSettings (collectors/settings.hpp), the type the
// collectors themselves take, so nothing converts between look-alikes.

#include <chrono>

#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;
using ::outpost::collectors::ContainersSettings;
using ::outpost::collectors::DisksSettings;
using ::outpost::collectors::ProcessesSettings;

// count_in, for the settings that are 32-bit.
Converter<std::uint32_t> count32_in(std::uint32_t min, std::uint32_t max) {
    auto wide = count_in(min, max);
    return {wide.type, wide.constraint, wide.expected,
            [convert = wide.convert](std::string_view text) -> Expected<std::uint32_t> {
                auto value = convert(text);
                if (!value) return std::unexpected(value.error());
                return static_cast<std::uint32_t>(*value);  // within max
            }};
}

// The collectors that have no key but `enabled` keep it in a plain bool of
// CollectorsSettings; this holds it while its one-row table loads.
struct EnabledOnly {
    bool enabled{};
};

Field<CollectorsSettings> enabled_only(std::string name, bool CollectorsSettings::*member,
                                       std::string description) {
    std::vector<Field<EnabledOnly>> table{key("enabled", &EnabledOnly::enabled, boolean(),
                                              defaults_to("true"),
                                              "Collect this part of the sample.")};
    KeyDoc doc{std::move(name),        "section",     "", Presence::section, "", "",
               std::move(description), docs_of(table)};
    auto shared = std::make_shared<const std::vector<Field<EnabledOnly>>>(std::move(table));
    return Field<CollectorsSettings>{
        std::move(doc), "a map of keys",
        [member, shared](const YAML::Node& node, CollectorsSettings& target, const Context& ctx) {
            EnabledOnly holder{target.*member};
            apply_table(node, *shared, holder, ctx);
            target.*member = holder.enabled;
        }};
}

std::vector<Field<DisksSettings>> disks_table() {
    using D = DisksSettings;
    return {
        key("enabled", &D::enabled, boolean(), defaults_to("true"),
            "statvfs of the real file systems in /proc/self/mountinfo (pseudo and memory file "
            "systems, overlay layers, read-only images and duplicate bind mounts are skipped)."),
        key("network_fs", &D::network_fs, boolean(), defaults_to("false"),
            "Also report network file systems (nfs, nfs4, cifs, smb3, ceph, glusterfs, 9p, "
            "sshfs, …). A hung server then costs one stuck helper thread, never the loop."),
        key("exclude_mounts", &D::exclude_mounts, absolute_path(), optional(R"(["/mnt/scratch"])"),
            "Mount points never reported (exact match)."),
        key("timeout", &D::timeout, duration_in(100ms, 1min), defaults_to("2s"),
            "Time allowed for all statvfs calls of one sample; a mount still not answering is "
            "reported with an error and not asked again until it answers."),
    };
}

std::vector<Field<ProcessesSettings>> processes_table() {
    using P = ProcessesSettings;
    return {
        key("enabled", &P::enabled, boolean(), defaults_to("true"),
            "Process counts by state, threads, and the top processes by CPU and by RSS."),
        key("top", &P::top, count32_in(0, 100), defaults_to("5"),
            "Entries in each top list (0: counts only)."),
    };
}

std::vector<Field<ContainersSettings>> containers_table() {
    using C = ContainersSettings;
    return {
        key("enabled", &C::enabled, boolean(), defaults_to("true"),
            "Containers from the Docker Engine API; skipped when there is no socket."),
        key("socket", &C::socket, absolute_path(), defaults_to("/var/run/docker.sock"),
            "Unix socket of the Docker Engine API (podman's compatible socket works too)."),
        key("timeout", &C::timeout, duration_in(100ms, 1min), defaults_to("2s"),
            "Time allowed for all API requests of one sample."),
        key("max_containers", &C::max_containers, count32_in(1, 10'000), defaults_to("100"),
            "Most containers reported in one sample."),
    };
}

}  // namespace

std::vector<Field<CollectorsSettings>> collectors_table() {
    using C = CollectorsSettings;
    return {
        enabled_only("cpu", &C::cpu, "Busy share, user/system/iowait/steal, per core."),
        enabled_only("memory", &C::memory, "Memory and swap use, and PSI when the kernel has it."),
        enabled_only("load", &C::load, "Load averages."),
        enabled_only("uptime", &C::uptime, "Seconds since boot."),
        section("disks", &C::disks, disks_table(), "Use of mounted file systems."),
        enabled_only("network", &C::network,
                     "Per-interface byte, packet, error and drop rates (lo excluded)."),
        section("processes", &C::processes, processes_table(), "Processes."),
        section("containers", &C::containers, containers_table(), "Docker containers."),
        enabled_only("agent", &C::agent, "The agent's own RSS, CPU time and open files."),
    };
}

}  // namespace outpost::config
