// outpost-exec-as: the credential steps of a command's set-up, in a program
// of their own.
//
// Why it exists: a child that shares the agent's memory (clone3 CLONE_VM|
// CLONE_VFORK, as posix_spawn does) is the cheapest start, but it must not
// change credentials before execve — setresuid() would mark the *shared*
// memory map non-dumpable, and from then until execve any process of the
// target uid could SIGSTOP the child and, with it, the suspended agent. So
// that child stays root, execs this program (the agent resumes at that
// execve), and this program — with a memory map of its own — changes the
// credentials and execs the command. The alternative, forking the agent, costs
// its page tables and copy-on-write faults: about 0.4 ms of the agent's CPU
// per command (docs/performance.md).
//
// Why freestanding (no libc, x86-64 system calls by hand): glibc's start-up,
// even static, spends about 350 µs here probing the CPU (CPUID traps to the
// hypervisor in a VM), more than the fork this replaces; this program starts
// in microseconds. It is tiny on purpose: it runs as root on the agent's
// behalf, with input only from the agent.
//
// Interface (built by child_setup.cpp, never by a person; interface.hpp):
//   outpost-exec-as VERSION UID GID NGROUPS [GROUP...] AGENT_PID NO_NEW_PRIVS DIR PATH ARGV0
//   [ARG...] outpost-exec-as VERSION probe      (exit 0: this program can run here)
// fd 3 is the agent's start pipe. It is made close-on-exec first, so its EOF
// tells the agent the command was exec'd; a failed step writes one record
// "e<step>:<errno>\n" there and exits 127, like the child set-up in
// child_process.cpp, whose order these steps keep: credentials, death
// signal, parent check, no_new_privs, working directory, execve. The
// environment is passed to the command untouched.

#include <asm/unistd.h>
#include <linux/prctl.h>

#include "executors/sandbox/exec_as/interface.hpp"

namespace {

using u32 = unsigned int;

constexpr int kStartPipe = 3;
constexpr int kFdSetFd = 2;     // F_SETFD
constexpr long kFdCloexec = 1;  // FD_CLOEXEC
constexpr long kSigKill = 9;
constexpr long kEsrch = 3;
constexpr long kEinval = 22;
constexpr long kEperm = 1;
constexpr long kE2big = 7;
constexpr unsigned kMaxGroups = outpost::executors::exec_as::kMaxGroups;

long sys(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

[[noreturn]] void exit_now(int code) {
    for (;;) sys(__NR_exit_group, code);
}

long length(const char* s) {
    long n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

// One record of at most PIPE_BUF bytes: "e<step>:<errno>\n".
[[noreturn]] void fail(const char* step, long err) {
    char record[256];
    long len = 0;
    record[len++] = 'e';
    for (long i = 0; step[i] != '\0' && len < 200; ++i) record[len++] = step[i];
    record[len++] = ':';
    char digits[20];
    int n = 0;
    unsigned long value = static_cast<unsigned long>(err < 0 ? -err : err);
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0 && n < 20);
    while (n > 0) record[len++] = digits[--n];
    record[len++] = '\n';
    sys(__NR_write, kStartPipe, reinterpret_cast<long>(record), len);
    exit_now(127);
}

// Decimal, no sign, no spaces, fits in 32 bits.
bool parse_u32(const char* text, u32* out) {
    if (text == nullptr || *text == '\0') return false;
    unsigned long value = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') return false;
        value = value * 10 + static_cast<unsigned long>(*p - '0');
        if (value > 0xffffffffUL) return false;
    }
    *out = static_cast<u32>(value);
    return true;
}

u32 number_arg(char** argv, int argc, int* next) {
    u32 value = 0;
    if (*next >= argc || !parse_u32(argv[*next], &value)) fail("exec helper arguments", kEinval);
    ++*next;
    return value;
}

void check(long ret, const char* step) {
    if (ret < 0) fail(step, ret);
}

void change_credentials(u32 uid, u32 gid, const u32* groups, u32 ngroups) {
    check(sys(__NR_setgroups, ngroups, reinterpret_cast<long>(groups)), "setgroups");
    check(sys(__NR_setresgid, gid, gid, gid), "setresgid");
    check(sys(__NR_setresuid, uid, uid, uid), "setresuid");
    u32 r = 0, e = 0, s = 0;
    if (sys(__NR_getresuid, reinterpret_cast<long>(&r), reinterpret_cast<long>(&e),
            reinterpret_cast<long>(&s)) != 0 ||
        r != uid || e != uid || s != uid)
        fail("verifying the uid change", kEperm);
    if (sys(__NR_getresgid, reinterpret_cast<long>(&r), reinterpret_cast<long>(&e),
            reinterpret_cast<long>(&s)) != 0 ||
        r != gid || e != gid || s != gid)
        fail("verifying the gid change", kEperm);
    if (sys(__NR_getgroups, 0, 0) != static_cast<long>(ngroups))
        fail("verifying the supplementary groups", kEperm);
    if (uid != 0 && sys(__NR_setuid, 0) == 0) fail("verifying root cannot be regained", kEperm);
}

}  // namespace

// `used`: only the _start asm calls it, which link-time optimisation cannot
// see (it would drop the function). The same for memset/memcpy below.
extern "C" [[noreturn, gnu::used]] void exec_as_main(long* stack) {
    const int argc = static_cast<int>(stack[0]);
    char** argv = reinterpret_cast<char**>(stack + 1);
    char** envp = argv + argc + 1;
    if (argc < 3 || !same(argv[1], outpost::executors::exec_as::kInterfaceVersion))
        fail("exec helper interface version", kEinval);
    if (argc == 3 && same(argv[2], outpost::executors::exec_as::kProbe)) exit_now(0);

    // First: if anything below fails the agent must still see the record,
    // and if everything succeeds the pipe must close at the command's execve.
    check(sys(__NR_fcntl, kStartPipe, kFdSetFd, kFdCloexec), "exec helper start pipe");

    int next = 2;
    const u32 uid = number_arg(argv, argc, &next);
    const u32 gid = number_arg(argv, argc, &next);
    const u32 ngroups = number_arg(argv, argc, &next);
    if (ngroups > kMaxGroups) fail("exec helper arguments", kE2big);
    u32 groups[kMaxGroups];
    for (u32 i = 0; i < ngroups; ++i) groups[i] = number_arg(argv, argc, &next);
    const u32 agent_pid = number_arg(argv, argc, &next);
    const u32 no_new_privs = number_arg(argv, argc, &next);
    if (argc - next < 3) fail("exec helper arguments", kEinval);
    const char* dir = argv[next++];
    const char* path = argv[next++];
    char** command_argv = argv + next;
    if (length(path) == 0 || path[0] != '/') fail("exec helper arguments", kEinval);

    change_credentials(uid, gid, groups, ngroups);
    // After the uid change: a credential change clears the death signal.
    check(sys(__NR_prctl, PR_SET_PDEATHSIG, kSigKill), "PR_SET_PDEATHSIG");
    if (sys(__NR_getppid) != static_cast<long>(agent_pid))
        fail("the agent went away during set-up", kEsrch);
    if (no_new_privs != 0)
        check(sys(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS");
    check(sys(__NR_chdir, reinterpret_cast<long>(dir)), "chdir");
    const long err = sys(__NR_execve, reinterpret_cast<long>(path),
                         reinterpret_cast<long>(command_argv), reinterpret_cast<long>(envp));
    fail("execve", err);
}

// The compiler may emit calls to these even without a libc.
extern "C" [[gnu::used]] void* memset(void* dest, int c, unsigned long n) {
    auto* d = static_cast<unsigned char*>(dest);
    for (unsigned long i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
    return dest;
}

extern "C" [[gnu::used]] void* memcpy(void* dest, const void* src, unsigned long n) {
    auto* d = static_cast<unsigned char*>(dest);
    const auto* s = static_cast<const unsigned char*>(src);
    for (unsigned long i = 0; i < n; ++i) d[i] = s[i];
    return dest;
}

// The kernel enters here with %rsp at argc; the ABI wants it 16-byte aligned
// before a call.
__asm__(
    ".text\n"
    ".global _start\n"
    ".type _start,@function\n"
    "_start:\n"
    "    xor %rbp, %rbp\n"
    "    mov %rsp, %rdi\n"
    "    and $-16, %rsp\n"
    "    call exec_as_main\n"
    "    hlt\n"
    ".size _start, .-_start\n");
