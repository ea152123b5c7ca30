#pragma once
// Run cgroup names, and whether the agent process that made one is gone.
//
// A run cgroup is named "run-<pid>-<start>-<n>": the agent's pid, its start
// time (clock ticks since boot, field 22 of /proc/<pid>/stat) and a count
// per process. The pid alone cannot say whose a cgroup is: pids are reused
// (pid_max is 32768 on the CI machine), and a restarted agent may get the
// pid of the one that died — in a container, often the very same. Agents
// before this one wrote "run-<pid>-<n>"; such names are still understood,
// and judged by the pid alone (a live process with that pid keeps them).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::executors {

struct CgroupSupport;

// Who made a run cgroup, as its name says.
struct RunCgroupOwner {
    pid_t pid = 0;
    std::optional<std::uint64_t> start_ticks;  // nullopt: an older agent's name
};

// "run-<our pid>-<our start>-<n>" ("run-<pid>-<n>" if our start time cannot
// be read, which /proc being mounted makes impossible in practice).
[[nodiscard]] std::string run_cgroup_name(std::uint64_t n);
// nullopt: not a run cgroup's name.
[[nodiscard]] std::optional<RunCgroupOwner> parse_run_cgroup_name(std::string_view name);
// Start time of process `pid` in clock ticks since boot; nullopt when it
// is gone (or /proc cannot tell).
[[nodiscard]] std::optional<std::uint64_t> process_start_ticks(pid_t pid);
// True only when the maker is certainly gone: no process has its pid, or
// the one that has it started at another time. This process counts as
// alive for its own names, so a runner never sweeps its own runs.
[[nodiscard]] bool owner_gone(const RunCgroupOwner& owner);

// Names of the run cgroups under "<own>/<parent_name>", in every hierarchy
// of `support`, whose maker is gone (each name once, sorted).
[[nodiscard]] std::vector<std::string> orphaned_run_cgroups(const CgroupSupport& support,
                                                            const std::string& parent_name);

}  // namespace outpost::executors
