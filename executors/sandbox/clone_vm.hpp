#pragma once
// clone3() for a child that borrows the caller's memory (CLONE_VM), as
// posix_spawn does with clone(), but with clone3's extras (CLONE_PIDFD,
// CLONE_INTO_CGROUP). A CLONE_VM child must start on its own stack and call
// a function there; the raw system call cannot do that from C++, so this is
// a few lines of assembly (clone_vm.cpp). Only x86-64 has them; elsewhere
// the call reports ENOSYS and the caller forks instead.

#include <linux/sched.h>

namespace outpost::executors {

// True where clone3_vm is implemented.
[[nodiscard]] bool clone3_vm_available();

// Runs clone3(args) where args->stack/stack_size name the child's stack;
// the child calls fn(arg) there and exits with its return value (fn should
// not return: it execs or _exits). Returns the child's pid in the parent,
// or -errno.
long clone3_vm(clone_args* args, int (*fn)(void*), void* arg);

}  // namespace outpost::executors
