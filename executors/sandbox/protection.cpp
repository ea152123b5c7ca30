#include "executors/sandbox/protection.hpp"

namespace outpost::executors {

std::string_view protection_name(Protection p) {
    switch (p) {
        case Protection::namespaces_mount: return "namespaces_mount";
        case Protection::namespaces_net: return "namespaces_net";
        case Protection::namespaces_pid: return "namespaces_pid";
        case Protection::namespaces_ipc: return "namespaces_ipc";
        case Protection::namespaces_uts: return "namespaces_uts";
        case Protection::seccomp: return "seccomp";
        case Protection::landlock: return "landlock";
        case Protection::cgroup_pids: return "cgroup_pids";
        case Protection::cgroup_memory: return "cgroup_memory";
        case Protection::cgroup_kill: return "cgroup_kill";
        case Protection::no_new_privs: return "no_new_privs";
    }
    return "unknown";
}

std::optional<Protection> protection_from_name(std::string_view name) {
    for (const Protection p : kAllProtections)
        if (protection_name(p) == name) return p;
    return std::nullopt;
}

}  // namespace outpost::executors
