#pragma once
// The protections a run can ask for. Each one is either required by a run
// (missing → the run is refused before anything is forked) or best effort
// (missing → the run goes ahead and the result lists it as degraded).

#include <optional>
#include <string_view>

namespace outpost::executors {

enum class Protection {
    namespaces_mount,  // private mount table: read-only root, private /tmp
    namespaces_net,    // no network (a fresh net namespace: only lo)
    namespaces_pid,    // own PID namespace (the tree dies with its init)
    namespaces_ipc,
    namespaces_uts,
    seccomp,           // the syscall deny-list
    landlock,          // file-system writes limited to the writable paths
    cgroup_pids,       // pids.max
    cgroup_memory,     // memory limit with OOM-kill detection
    cgroup_kill,       // atomic kill of the whole tree (cgroup.kill)
    no_new_privs,      // setuid binaries cannot raise privileges
};

inline constexpr Protection kAllProtections[] = {
    Protection::namespaces_mount, Protection::namespaces_net,  Protection::namespaces_pid,
    Protection::namespaces_ipc,   Protection::namespaces_uts,  Protection::seccomp,
    Protection::landlock,         Protection::cgroup_pids,     Protection::cgroup_memory,
    Protection::cgroup_kill,      Protection::no_new_privs,
};

[[nodiscard]] std::string_view protection_name(Protection p);
[[nodiscard]] std::optional<Protection> protection_from_name(std::string_view name);

}  // namespace outpost::executors
