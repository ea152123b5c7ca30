#pragma once
// The run's syscall deny-list, compiled to BPF in the parent (before fork),
// so the child only has to hand the finished program to the kernel.

#include <linux/filter.h>

#include <vector>

#include "agent/common/error.hpp"

namespace outpost::executors {

struct SeccompProgram {
    std::vector<sock_filter> instructions;
};

// Default allow; EPERM for mount/module/reboot/swap/raw-I/O/clock/ptrace/
// kexec/bpf/userfaultfd/keyring/acct/quotactl/open_by_handle_at/setns/unshare
// and clone with any CLONE_NEW* flag; ENOSYS for clone3 (its flags live in
// memory seccomp cannot read; glibc then falls back to clone); EPERM for
// io_uring; a foreign architecture (e.g. i386 or x32 on x86_64) is killed.
[[nodiscard]] Expected<SeccompProgram> build_seccomp_program();

// In the child, after PR_SET_NO_NEW_PRIVS: installs the program. Returns 0
// or errno; async-signal-safe.
[[nodiscard]] int install_seccomp_program(const SeccompProgram& program);

}  // namespace outpost::executors
