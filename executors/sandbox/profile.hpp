#pragma once
// What a run's sandbox should look like: plain settings, no config types.
// The policy module maps an allow-list entry onto one of these.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "executors/sandbox/protection.hpp"

namespace outpost::executors {

// Limits are only ever lowered in the child (a limit above the agent's own
// is clamped to it). RLIMIT_CORE is always 0.
struct Rlimits {
    std::optional<std::uint64_t> cpu_seconds;          // RLIMIT_CPU: SIGXCPU, then SIGKILL
    std::optional<std::uint64_t> file_size_bytes;      // RLIMIT_FSIZE: SIGXFSZ
    std::optional<std::uint64_t> nofile;               // RLIMIT_NOFILE
    std::optional<std::uint64_t> address_space_bytes;  // RLIMIT_AS
};

struct CgroupLimits {
    std::optional<std::uint64_t> pids_max;
    std::optional<std::uint64_t> memory_max_bytes;
};

struct SandboxProfile {
    bool no_network = true;
    bool private_tmp = true;
    bool read_only_root = true;
    // Bound read-write inside the read-only root (and allowed by Landlock).
    std::vector<std::string> writable_paths;
    bool own_pid_namespace = true;
    bool private_ipc = true;
    bool private_uts = true;
    bool seccomp = true;
    bool landlock = true;
    std::optional<uid_t> uid;   // unset: stays root
    std::optional<gid_t> gid;   // unset with uid set: the uid's primary group
    std::vector<gid_t> groups;  // supplementary groups; root's are always dropped
    Rlimits rlimits;
    CgroupLimits cgroup;
    // Protections this run cannot do without: when one is missing the run is
    // refused. Every other protection the profile asks for is best effort.
    std::set<Protection> required;
};

// The protections a profile asks for (its flags and limits, plus the ones
// every run gets), including everything in `required`.
[[nodiscard]] std::set<Protection> requested_protections(const SandboxProfile& profile);

}  // namespace outpost::executors
