#pragma once
// The protections a run can ask for. Each one is either required by a run
// (missing → the run is refused before anything is forked) or best effort
// (missing → the run goes ahead and the result lists it as degraded).
//
// The one Protection type: the config's `requires` lists (config.hpp names it
// config::Protection), the allow-list and the sandbox all use this enum, so
// no mapping between look-alike enums can drop a required protection. The
// header stands alone (no library) so the config can use it.

#include <optional>
#include <string_view>

namespace outpost::executors {

enum class Protection {
    namespaces_mount,  // private mount table: read-only root, private /tmp
    namespaces_net,    // no network (a fresh net namespace: only lo)
    namespaces_pid,    // own PID namespace (the tree dies with its init)
    namespaces_ipc,
    namespaces_uts,
    seccomp,        // the syscall deny-list
    landlock,       // file-system writes limited to the writable paths
    cgroup_pids,    // pids.max
    cgroup_memory,  // memory limit with OOM-kill detection
    cgroup_kill,    // atomic kill of the whole tree (cgroup.kill)
    no_new_privs,   // setuid binaries cannot raise privileges
};

inline constexpr Protection kAllProtections[] = {
    Protection::namespaces_mount, Protection::namespaces_net, Protection::namespaces_pid,
    Protection::namespaces_ipc,   Protection::namespaces_uts, Protection::seccomp,
    Protection::landlock,         Protection::cgroup_pids,    Protection::cgroup_memory,
    Protection::cgroup_kill,      Protection::no_new_privs,
};

// The name in config files, status output and messages.
[[nodiscard]] constexpr std::string_view protection_name(Protection p) {
    switch (p) {
        case Protection::namespaces_mount:
            return "namespaces_mount";
        case Protection::namespaces_net:
            return "namespaces_net";
        case Protection::namespaces_pid:
            return "namespaces_pid";
        case Protection::namespaces_ipc:
            return "namespaces_ipc";
        case Protection::namespaces_uts:
            return "namespaces_uts";
        case Protection::seccomp:
            return "seccomp";
        case Protection::landlock:
            return "landlock";
        case Protection::cgroup_pids:
            return "cgroup_pids";
        case Protection::cgroup_memory:
            return "cgroup_memory";
        case Protection::cgroup_kill:
            return "cgroup_kill";
        case Protection::no_new_privs:
            return "no_new_privs";
    }
    return "unknown";
}

[[nodiscard]] constexpr std::optional<Protection> protection_from_name(std::string_view name) {
    for (const Protection p : kAllProtections) {
        if (protection_name(p) == name) return p;
    }
    return std::nullopt;
}

}  // namespace outpost::executors
