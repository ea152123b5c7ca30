#include "executors/sandbox/seccomp_filter.hpp"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace outpost::executors {
namespace {

struct CtxDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

// Syscalls the sandboxed command never needs and that change the host or
// escape the sandbox.
constexpr const char* kDenied[] = {
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "stime",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "userfaultfd",
    "add_key",
    "request_key",
    "keyctl",
    "acct",
    "quotactl",
    "quotactl_fd",
    "open_by_handle_at",
    "setns",
    "unshare",
};

constexpr unsigned long kNamespaceFlags[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, 0x00000080 /* CLONE_NEWTIME */,
};

}  // namespace

Expected<SeccompProgram> build_seccomp_program() {
    std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (!ctx) return fail("seccomp_init failed");
    // We set no_new_privs ourselves, earlier in the set-up.
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) != 0)
        return fail("seccomp_attr_set(NNP) failed");
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0)
        return fail("seccomp_attr_set(BADARCH) failed");
    auto deny = [&](const char* name, std::uint32_t action) -> Expected<void> {
        const int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) return {};  // not on this architecture
        const int rc = seccomp_rule_add(ctx.get(), action, nr, 0);
        if (rc != 0)
            return fail(std::string("seccomp rule for ") + name + ": " + std::strerror(-rc));
        return {};
    };
    for (const char* name : kDenied)
        if (auto r = deny(name, SCMP_ACT_ERRNO(EPERM)); !r) return std::unexpected(r.error());
    for (const char* name : {"io_uring_setup", "io_uring_enter", "io_uring_register"})
        if (auto r = deny(name, SCMP_ACT_ERRNO(EPERM)); !r) return std::unexpected(r.error());
    if (auto r = deny("clone3", SCMP_ACT_ERRNO(ENOSYS)); !r) return std::unexpected(r.error());
    // clone(flags, ...): flags are argument 0 on x86_64 and aarch64 (s390
    // swaps the first two; not a target). One rule per flag: rules for the
    // same syscall are OR-ed.
    for (const unsigned long flag : kNamespaceFlags) {
        const int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                        SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
        if (rc != 0) return fail(std::string("seccomp clone rule: ") + std::strerror(-rc));
    }

    // Export the BPF now, so the child does not run libseccomp's generator.
    const int fd = ::memfd_create("outpost-seccomp", MFD_CLOEXEC);
    if (fd < 0) return fail(std::string("memfd_create: ") + std::strerror(errno));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    if (const int rc = seccomp_export_bpf(ctx.get(), fd); rc != 0)
        return fail(std::string("seccomp_export_bpf: ") + std::strerror(-rc));
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        return fail("seccomp_export_bpf produced no program");
    SeccompProgram program;
    program.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(fd, program.instructions.data(), static_cast<size_t>(size), 0) != size)
        return fail(std::string("reading the seccomp program: ") + std::strerror(errno));
    return program;
}

int install_seccomp_program(const SeccompProgram& program) {
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(program.instructions.size());
    prog.filter = const_cast<sock_filter*>(program.instructions.data());
    // TSYNC is pointless in a single-threaded child; plain filter mode.
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
    return 0;
}

}  // namespace outpost::executors
