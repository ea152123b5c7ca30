#pragma once
// The child's side of starting a command: everything between clone()/fork()
// and execve(), in the order docs/sandbox.md gives.
//
// CONSTRAINT: this code may run in a child that shares the agent's memory
// (CLONE_VM|CLONE_VFORK, see can_share_memory in child_setup.cpp): it only
// makes system calls and writes to its own stack and errno (the suspended
// agent thread's). No allocation, no locks, no globals but the signal
// forwarding target of the PID-namespace waiters (only reached in a forked
// child). It is compiled without AddressSanitizer (executors/CMakeLists.txt):
// ASan cannot follow the stack switch. apply_landlock/install_seccomp_program
// may run there too; they only make system calls.

#include <sys/types.h>

#include "executors/sandbox/child_setup.hpp"

namespace outpost::executors {

// Everything the child touches, as plain pointers built before the child starts.
struct ChildArgs {
    const ChildPlan* plan;
    char* const* argv;
    char* const* envp;
    int err_w;    // close-on-exec: EOF at execve, "<step>: <error>" otherwise
    int stdin_r;  // -1: /dev/null
    int stdout_w;
    int stderr_w;
    pid_t agent_pid;
    // The v2 cgroup.procs to join by writing, when the child could not be
    // created in that cgroup (CLONE_INTO_CGROUP); nullptr otherwise.
    const char* join_unified_procs;
    // Set: after the rlimits, exec plan->exec_helper with this argv (it does
    // the credential steps and execs the command; see exec_as.cpp), with the
    // start pipe as fd 3. nullptr: the child does every step itself.
    char* const* helper_argv;
};

// Sets the child up and execs plan->path (or the exec helper, which does);
// never returns. A failed step is reported on err_w as "E<step>: <strerror>"
// ("e<step>:<errno>" from the helper) and the process exits 127.
[[noreturn]] void run_child(ChildArgs args);

// run_child for clone(): `args` points to a ChildArgs.
int run_cloned_child(void* args);

}  // namespace outpost::executors
