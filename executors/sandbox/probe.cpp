#include "executors/sandbox/probe.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include <fmt/format.h>

namespace outpost::executors {
namespace {

// Runs `test` in a forked child; returns 0 or the errno it failed with.
// The probe runs before the loop has children of its own to confuse.
int in_child(const std::function<int()>& test) {
    const pid_t pid = ::fork();
    if (pid < 0) return errno;
    if (pid == 0) ::_exit(test());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return EFAULT;  // killed: treat as unavailable
}

int try_unshare(int flag) {
    return ::unshare(flag) == 0 ? 0 : errno;
}

std::string why(int err) {
    return std::strerror(err);
}

}  // namespace

bool Capabilities::available(Protection p) const {
    const auto* s = status(p);
    return s != nullptr && s->available;
}

const ProtectionStatus* Capabilities::status(Protection p) const {
    for (const auto& s : protections)
        if (s.protection == p) return &s;
    return nullptr;
}

void Capabilities::set(Protection p, bool is_available, std::string detail) {
    for (auto& s : protections) {
        if (s.protection == p) {
            s.available = is_available;
            s.detail = std::move(detail);
            return;
        }
    }
    protections.push_back({p, is_available, std::move(detail)});
}

std::vector<std::string> Capabilities::summary() const {
    std::vector<std::string> lines;
    for (const auto& s : protections)
        lines.push_back(fmt::format("{}: {} ({})", protection_name(s.protection),
                                    s.available ? "active" : "missing", s.detail));
    lines.push_back(fmt::format("pidfd: {}", pidfd ? "yes" : "no"));
    lines.push_back(fmt::format("close_range: {}", close_range ? "yes" : "no"));
    lines.push_back(fmt::format("mount_setattr: {}", mount_setattr ? "yes" : "no"));
    return lines;
}

namespace {

// Each namespace kind the sandbox uses, tried in a child that unshares it.
void probe_namespaces(Capabilities& caps) {
    auto ns = [&](Protection p, int flag) {
        const int err = in_child([flag] { return try_unshare(flag); });
        caps.set(p, err == 0, err == 0 ? "unshare works" : "unshare: " + why(err));
    };
    {
        const int err = in_child([] {
            if (::unshare(CLONE_NEWNS) != 0) return errno;
            if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
            return 0;
        });
        caps.set(Protection::namespaces_mount, err == 0,
                 err == 0 ? "unshare + private remount work" : "mount namespace: " + why(err));
    }
    ns(Protection::namespaces_net, CLONE_NEWNET);
    ns(Protection::namespaces_ipc, CLONE_NEWIPC);
    ns(Protection::namespaces_uts, CLONE_NEWUTS);
    const int err = in_child([] {
        if (::unshare(CLONE_NEWPID) != 0) return errno;
        const pid_t init = ::fork();
        if (init < 0) return errno;
        if (init == 0) ::_exit(::getpid() == 1 ? 0 : EINVAL);
        int status = 0;
        ::waitpid(init, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : EFAULT;
    });
    caps.set(Protection::namespaces_pid, err == 0,
             err == 0 ? "unshare + fork gives PID 1" : "pid namespace: " + why(err));
}

// no_new_privs, a seccomp filter and Landlock: what limits the process itself.
void probe_process_limits(Capabilities& caps) {
    {
        const int err = in_child([] {
            if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
            return ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : EINVAL;
        });
        caps.set(Protection::no_new_privs, err == 0,
                 err == 0 ? "prctl works" : "PR_SET_NO_NEW_PRIVS: " + why(err));
    }
    {
        const int err = in_child([] {
            if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
            sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
            sock_fprog prog{1, allow};
            if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
            return 0;
        });
        caps.set(Protection::seccomp, err == 0,
                 err == 0 ? "filter mode works" : "seccomp filter: " + why(err));
    }
    const long abi =
        ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    caps.landlock_abi = abi > 0 ? static_cast<int>(abi) : 0;
    caps.set(Protection::landlock, abi > 0,
             abi > 0 ? fmt::format("ABI {}", abi) : "landlock_create_ruleset: " + why(errno));
}

// The cgroup controllers the agent can write: pids and memory limits, and
// how a run's tree is killed.
void probe_cgroups(Capabilities& caps, const std::string& cgroup_parent) {
    caps.cgroups = detect_cgroups();
    // The root cgroup has no cgroup.kill: look in the agent-owned parent.
    if (caps.cgroups.v2_dir && ::access(caps.cgroups.v2_dir->c_str(), W_OK) == 0 &&
        !caps.cgroups.v2_kill) {
        const std::string parent = *caps.cgroups.v2_dir + "/" + cgroup_parent;
        if (::mkdir(parent.c_str(), 0755) == 0 || errno == EEXIST)
            caps.cgroups.v2_kill = ::access((parent + "/cgroup.kill").c_str(), W_OK) == 0;
    }
    const auto& cg = caps.cgroups;
    auto writable = [](const std::optional<std::string>& dir) {
        return dir && ::access(dir->c_str(), W_OK) == 0;
    };
    if (cg.v2_controllers.contains("pids") && writable(cg.v2_dir))
        caps.set(Protection::cgroup_pids, true, "cgroup v2 pids.max in " + *cg.v2_dir);
    else if (writable(cg.v1_pids_dir))
        caps.set(Protection::cgroup_pids, true, "cgroup v1 pids.max in " + *cg.v1_pids_dir);
    else
        caps.set(Protection::cgroup_pids, false, "no writable pids controller (v2 or v1)");
    if (cg.v2_controllers.contains("memory") && writable(cg.v2_dir))
        caps.set(Protection::cgroup_memory, true, "cgroup v2 memory.max in " + *cg.v2_dir);
    else if (writable(cg.v1_memory_dir))
        caps.set(Protection::cgroup_memory, true,
                 "cgroup v1 memory.limit_in_bytes in " + *cg.v1_memory_dir);
    else
        caps.set(Protection::cgroup_memory, false, "no writable memory controller (v2 or v1)");
    if (cg.v2_kill && writable(cg.v2_dir)) {
        caps.set(Protection::cgroup_kill, true, "cgroup.kill in " + *cg.v2_dir);
    } else {
        std::string fallback = writable(cg.v1_freezer_dir) ? "v1 freezer (freeze, kill, thaw)"
                               : writable(cg.v2_dir)
                                   ? "cgroup v2 freeze and a SIGKILL to each member"
                                   : "process group and session sweep";
        caps.set(Protection::cgroup_kill, false,
                 "no writable cgroup2 with cgroup.kill; tree kill uses the PID namespace init "
                 "when the run has one, else " +
                     fallback);
        if (!writable(cg.v1_freezer_dir)) caps.cgroups.v1_freezer_dir.reset();
    }
    if (!writable(cg.v2_dir)) caps.cgroups.v2_dir.reset();
}

// System calls the runner uses when the kernel has them.
void probe_syscalls(Capabilities& caps) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
    caps.pidfd = fd >= 0;
    if (fd >= 0) ::close(fd);
    caps.close_range = ::syscall(SYS_close_range, ~0U, ~0U, 0) == 0;
    caps.mount_setattr =
        in_child([] {
            if (::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) != 0 && errno == ENOSYS)
                return ENOSYS;
            return 0;
        }) == 0;
}

}  // namespace

Capabilities probe_capabilities(const std::string& cgroup_parent) {
    Capabilities caps;
    probe_namespaces(caps);
    probe_process_limits(caps);
    probe_cgroups(caps, cgroup_parent);
    probe_syscalls(caps);
    return caps;
}

Expected<std::vector<std::string>> assess_profile(const SandboxProfile& profile,
                                                  const Capabilities& caps) {
    std::vector<std::string> degraded;
    for (const Protection p : requested_protections(profile)) {
        const ProtectionStatus* s = caps.status(p);
        if (s != nullptr && s->available) continue;
        const std::string detail = s != nullptr ? s->detail : "not probed";
        if (profile.required.contains(p))
            return fail(fmt::format("required protection {} is unavailable: {}", protection_name(p),
                                    detail));
        degraded.push_back(fmt::format("{}: {}", protection_name(p), detail));
    }
    return degraded;
}

std::set<Protection> requested_protections(const SandboxProfile& profile) {
    std::set<Protection> wanted = profile.required;
    wanted.insert(Protection::no_new_privs);
    wanted.insert(Protection::cgroup_kill);
    if (profile.read_only_root || profile.private_tmp || !profile.writable_paths.empty() ||
        profile.own_pid_namespace)
        wanted.insert(Protection::namespaces_mount);
    if (profile.no_network) wanted.insert(Protection::namespaces_net);
    if (profile.own_pid_namespace) wanted.insert(Protection::namespaces_pid);
    if (profile.private_ipc) wanted.insert(Protection::namespaces_ipc);
    if (profile.private_uts) wanted.insert(Protection::namespaces_uts);
    if (profile.seccomp) wanted.insert(Protection::seccomp);
    if (profile.landlock) wanted.insert(Protection::landlock);
    if (profile.cgroup.pids_max) wanted.insert(Protection::cgroup_pids);
    if (profile.cgroup.memory_max_bytes) wanted.insert(Protection::cgroup_memory);
    return wanted;
}

}  // namespace outpost::executors
