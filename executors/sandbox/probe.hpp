#pragma once
// What the kernel offers, found once at start-up, and the check of a run's
// profile against it (refuse when a required protection is missing, list
// the missing best-effort ones as degraded).

#include <optional>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "executors/sandbox/cgroup.hpp"
#include "executors/sandbox/profile.hpp"

namespace outpost::executors {

struct ProtectionStatus {
    Protection protection;
    bool available = false;
    std::string detail;  // how it is provided, or why it is missing
};

struct Capabilities {
    std::vector<ProtectionStatus> protections;  // one entry per Protection
    int landlock_abi = 0;
    bool pidfd = false;          // pidfd_open + waitid(P_PIDFD): required by the runner
    bool close_range = false;    // else the child closes fds one by one
    bool mount_setattr = false;  // recursive read-only remount (5.12+)
    CgroupSupport cgroups;

    [[nodiscard]] bool available(Protection p) const;
    [[nodiscard]] const ProtectionStatus* status(Protection p) const;
    void set(Protection p, bool available, std::string detail);
    // "seccomp: active (filter mode)" / "landlock: missing (...)" lines for
    // the start-up log.
    [[nodiscard]] std::vector<std::string> summary() const;
};

// Probes this kernel: namespaces by unshare() in a forked child, seccomp by
// loading an allow-all filter in a child, Landlock's ABI, cgroups, pidfd,
// close_range. Forks short-lived children; call once at start-up. Creates
// the agent-owned cgroup parent `cgroup_parent` in the unified hierarchy
// (the root cgroup has no cgroup.kill to look at).
[[nodiscard]] Capabilities probe_capabilities(const std::string& cgroup_parent = "outpost");

// Refuses (error naming the protection and why it is missing) when the
// profile requires something unavailable; otherwise the degraded list
// ("landlock: <why>") for the result.
[[nodiscard]] Expected<std::vector<std::string>> assess_profile(const SandboxProfile& profile,
                                                                const Capabilities& caps);

}  // namespace outpost::executors
