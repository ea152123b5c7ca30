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
