#include "executors/policy/protections.hpp"

namespace outpost::policy {

using config::Protection;
using config::SandboxLevel;

std::vector<Protection> profile_protections(SandboxLevel level) {
    switch (level) {
        case SandboxLevel::strict:
            return {Protection::namespaces_mount, Protection::namespaces_net,
                    Protection::namespaces_pid,   Protection::namespaces_ipc,
                    Protection::namespaces_uts,   Protection::seccomp,
                    Protection::landlock,         Protection::cgroup_kill,
                    Protection::no_new_privs};
        case SandboxLevel::standard:
            return {Protection::namespaces_mount, Protection::seccomp, Protection::cgroup_kill,
                    Protection::no_new_privs};
        case SandboxLevel::none:
            return {};
    }
    return {};
}

std::string_view protection_name(Protection protection) {
    switch (protection) {
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

std::string_view sandbox_name(SandboxLevel level) {
    switch (level) {
        case SandboxLevel::strict:
            return "strict";
        case SandboxLevel::standard:
            return "standard";
        case SandboxLevel::none:
            return "none";
    }
    return "unknown";
}

}  // namespace outpost::policy
