#pragma once
// Starting the sandboxed child: everything is prepared in the parent (argv,
// environment, paths, the compiled seccomp program) so the child only makes
// system calls between fork() and execve(). The set-up order and the reasons
// for it are in docs/sandbox.md.
//
// CONSTRAINT: this forks the agent. The agent is single-threaded, which is
// what makes the (non-async-signal-safe) work in the child tolerable. If the
// agent ever gains threads, only async-signal-safe calls may follow fork();
// the usual answer then is re-executing a small set-up helper binary.

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "executors/sandbox/profile.hpp"
#include "executors/sandbox/seccomp_filter.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::executors {

struct Capabilities;

struct ChildPlan {
    std::string path;  // absolute
    std::vector<std::string> argv;
    std::vector<std::string> env;  // "KEY=value"
    std::string working_dir = "/";
    bool stdin_pipe = false;  // else /dev/null
    std::vector<std::string> cgroup_procs_files;

    bool mount_ns = false;
    bool net_ns = false;
    bool ipc_ns = false;
    bool uts_ns = false;
    bool pid_ns = false;
    bool read_only_root = false;
    bool private_tmp = false;
    std::vector<std::string> writable_paths;
    bool use_mount_setattr = true;
    bool use_close_range = true;

    Rlimits rlimits;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::vector<gid_t> groups;

    bool no_new_privs = false;
    int landlock_abi = 0;  // 0: no Landlock
    std::vector<std::string> landlock_paths;
    std::optional<SeccompProgram> seccomp;
};

// Turns a profile into a plan, using only protections that are both asked
// for (requested_protections) and available. Resolves the uid's primary
// group and home directory, compiles the seccomp program. `home` receives
// the HOME to put in the environment.
[[nodiscard]] Expected<ChildPlan> plan_sandbox(const SandboxProfile& profile,
                                               const Capabilities& caps, std::string* home);

struct SpawnedChild {
    pid_t pid = -1;         // the main process (our direct child)
    UniqueFd pidfd;
    pid_t ns_init_pid = -1;  // the PID namespace's init, in our namespace
    UniqueFd ns_init_pidfd;
    UniqueFd stdin_fd;  // write end, when plan.stdin_pipe
    UniqueFd stdout_fd;  // read ends, non-blocking
    UniqueFd stderr_fd;
};

// Forks and sets the child up; returns once execve() succeeded. An error is
// either a parent-side failure or the child's "<step>: <strerror>" (then
// `exec_failed` is set and the child has been reaped).
[[nodiscard]] Expected<SpawnedChild> spawn_child(const ChildPlan& plan, bool* exec_failed);

}  // namespace outpost::executors
