#pragma once
// Starting the sandboxed child: everything is prepared in the parent (argv,
// environment, paths, the compiled seccomp program) so the child only makes
// system calls between the start and execve() (child_process.cpp). The
// set-up order and the reasons for it are in docs/sandbox.md.
//
// CONSTRAINT: a plan that can_share_memory (child_setup.cpp: no uid change,
// no namespaces, nothing to join by writing) starts with CLONE_VM|CLONE_VFORK
// (the child borrows the agent's memory, the agent's thread waits until
// execve); any other plan forks. Either way the child code must stay
// allocation-free and async-signal-safe.

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
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
    // The run's cgroup v2 directory (may be empty): the child is created in
    // it (clone3 CLONE_INTO_CGROUP), or joins it by writing its cgroup.procs
    // where the kernel cannot do that.
    std::string unified_cgroup_dir;
    // That directory opened (borrowed, -1: open it here).
    int unified_cgroup_fd = -1;
    // Other cgroups (v1 hierarchies) the child joins by writing "0".
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
    // outpost-exec-as (executors/sandbox/exec_as), trusted by the caller:
    // when set, a child that changes uid/gid may still share the agent's
    // memory, because the change happens in that program after its execve.
    // Empty: such children are forked.
    std::string exec_helper;
};

// Turns a profile into a plan, using only protections that are both asked
// for (requested_protections) and available. Compiles the seccomp program
// (once). Looks the uid up in the passwd database only when it must: for its
// primary group when the profile has no gid, and for its home directory when
// `home` is not null (it then receives the HOME to put in the environment).
[[nodiscard]] Expected<ChildPlan> plan_sandbox(const SandboxProfile& profile,
                                               const Capabilities& caps, std::string* home);

struct SpawnedChild {
    pid_t pid = -1;  // the main process (our direct child)
    UniqueFd pidfd;
    pid_t ns_init_pid = -1;  // the PID namespace's init, in our namespace
    UniqueFd ns_init_pidfd;
    UniqueFd stdin_fd;   // write end, when plan.stdin_pipe
    UniqueFd stdout_fd;  // read ends, non-blocking
    UniqueFd stderr_fd;
    // The close-on-exec error pipe's read end, non-blocking: the set-up's
    // records, then EOF once execve() closed the last copy (StartReader).
    UniqueFd start_fd;
    // How it was started (fork_child picks the cheapest the plan and the
    // kernel allow): "clone3 CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP",
    // "clone3 CLONE_VM|CLONE_VFORK", "clone3 CLONE_INTO_CGROUP" or "fork".
    std::string_view start_method;
};

// Starts the child and returns without waiting for a forked child's set-up:
// that goes on in the background and reports through `start_fd` (a child
// that borrowed our memory has already exec'd or failed when this returns;
// `start_fd` holds the outcome just the same, its EOF possibly a moment
// later). An error here is a
// parent-side failure (pipe, clone/fork, pidfd_open); nothing is left running.
[[nodiscard]] Expected<SpawnedChild> fork_child(const ChildPlan& plan);

// The parent side of the error pipe (child_start.cpp). Records are
// "N<pid>" (the PID namespace's init, from P0) and "E<step>: <strerror>"
// (a set-up step failed; that process exits 127).
class StartReader {
  public:
    // Reads what `child.start_fd` holds without blocking and handles every
    // whole record: 'N' sets ns_init_pid and, when `open_ns_init`, opens
    // ns_init_pidfd; 'E' keeps the first error. True once the pipe is at EOF
    // (execve happened, or every set-up process is gone): the start is over.
    bool read(SpawnedChild& child, bool open_ns_init = true);
    // The child's "<step>: <strerror>" when the set-up failed.
    [[nodiscard]] const std::optional<std::string>& error() const { return error_; }

  private:
    void handle(SpawnedChild& child, const std::string& record, bool open_ns_init);

    std::string pending_;
    std::optional<std::string> error_;
};

}  // namespace outpost::executors
