// The child's side of starting a command (see child_process.hpp).
#include "executors/sandbox/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "executors/sandbox/landlock.hpp"

namespace outpost::executors {
namespace {

// The pid the namespace waiters forward SIGTERM/SIGINT/SIGHUP to.
volatile sig_atomic_t g_forward_to = 0;

void forward_signal(int sig) {
    if (g_forward_to > 0) ::kill(g_forward_to, sig);
}

void write_all(int fd, const char* data, size_t len) {
    while (len > 0) {
        const ssize_t n = ::write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        len -= static_cast<size_t>(n);
    }
}

// One record of at most PIPE_BUF bytes, so records of different processes
// never interleave.
void report(int fd, char kind, const char* step, const char* detail) {
    char buf[512];
    size_t len = 0;
    auto put = [&](const char* s) {
        while (*s != '\0' && len < sizeof buf - 2) buf[len++] = *s++;
    };
    buf[len++] = kind;
    put(step);
    if (detail != nullptr) {
        put(": ");
        put(detail);
    }
    buf[len++] = '\n';
    write_all(fd, buf, len);
}

[[noreturn]] void die(const ChildArgs& a, const char* step, int err) {
    const char* text = ::strerrordesc_np(err);
    report(a.err_w, 'E', step, text != nullptr ? text : "unknown error");
    ::_exit(127);
}

void put_number(char* buf, long value) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0 && n < 23);
    int i = 0;
    while (n > 0) buf[i++] = tmp[--n];
    buf[i] = '\0';
}

// Dispositions first: a signal held pending since fork() (a cancel during
// set-up) must meet the default action, not a handler of the agent's.
void reset_signals() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // KILL/STOP fail: fine
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void install_forwarding() {
    struct sigaction fwd {};
    fwd.sa_handler = forward_signal;
    sigemptyset(&fwd.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &fwd, nullptr);
}

void join_cgroup(const ChildArgs& a, const char* procs_file) {
    const int fd = ::open(procs_file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) die(a, "joining the run's cgroup", errno);
    ::close(fd);
}

void join_cgroups(const ChildArgs& a) {
    if (a.join_unified_procs != nullptr) join_cgroup(a, a.join_unified_procs);
    for (const auto& file : a.plan->cgroup_procs_files) join_cgroup(a, file.c_str());
}

// Moves the fds we keep above 2 (so dup2 onto 0..2 cannot clobber them),
// wires 0..2, and closes everything else but the error pipe.
void setup_fds(ChildArgs& a) {
    auto lift = [&](int& fd) {
        if (fd < 0) return;
        const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) die(a, "fcntl(F_DUPFD)", errno);
        fd = moved;
    };
    lift(a.err_w);
    lift(a.stdin_r);
    lift(a.stdout_w);
    lift(a.stderr_w);
    int in = a.stdin_r;
    if (in < 0) {
        in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in < 0) die(a, "open /dev/null", errno);
    }
    if (::dup2(in, 0) < 0 || ::dup2(a.stdout_w, 1) < 0 || ::dup2(a.stderr_w, 2) < 0)
        die(a, "dup2", errno);
    const unsigned keep = static_cast<unsigned>(a.err_w);
    if (a.plan->use_close_range) {
        if (keep > 3 && ::syscall(SYS_close_range, 3U, keep - 1, 0U) != 0)
            die(a, "close_range", errno);
        if (::syscall(SYS_close_range, keep + 1, ~0U, 0U) != 0) die(a, "close_range", errno);
    } else {
        rlimit lim{};
        ::getrlimit(RLIMIT_NOFILE, &lim);
        const long max = lim.rlim_cur == RLIM_INFINITY ? 65536 : static_cast<long>(lim.rlim_cur);
        for (long fd = 3; fd < max; ++fd)
            if (fd != a.err_w) ::close(static_cast<int>(fd));
    }
}

int set_attr(const char* path, unsigned flags, std::uint64_t set, std::uint64_t clr) {
    mount_attr attr{};
    attr.attr_set = set;
    attr.attr_clr = clr;
    return ::syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attr, sizeof attr) == 0 ? 0 : errno;
}

bool same_device(const char* a, const char* b) {
    struct stat sa {
    }, sb{};
    return ::stat(a, &sa) == 0 && ::stat(b, &sb) == 0 && sa.st_dev == sb.st_dev;
}

void setup_mounts(const ChildArgs& a) {
    const ChildPlan& p = *a.plan;
    // Nothing we mount may propagate back to the host; host mounts still
    // propagate in (slave).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        die(a, "making / rslave", errno);
    if (p.read_only_root) {
        if (p.use_mount_setattr) {
            if (int e = set_attr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0))
                die(a, "remounting / read-only", e);
            // nodev on the root mount only: /dev must keep working.
            if (!same_device("/", "/dev/null"))
                if (int e = set_attr("/", 0, MOUNT_ATTR_NODEV, 0)) die(a, "remounting / nodev", e);
        } else if (::mount(nullptr, "/", nullptr,
                           MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
            die(a, "remounting / read-only", errno);
        }
    }
    if (p.private_tmp && ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
        die(a, "mounting a private /tmp", errno);
    for (const auto& path : p.writable_paths) {
        if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            die(a, "binding a writable path", errno);
        const int e = p.use_mount_setattr ? set_attr(path.c_str(), AT_RECURSIVE, MOUNT_ATTR_NOSUID,
                                                     MOUNT_ATTR_RDONLY)
                                          : (::mount(nullptr, path.c_str(), nullptr,
                                                     MS_REMOUNT | MS_BIND | MS_NOSUID, nullptr) == 0
                                                 ? 0
                                                 : errno);
        if (e != 0) die(a, "making a writable path writable", e);
    }
}

void set_limit(const ChildArgs& a, int resource, std::uint64_t soft, std::uint64_t hard,
               const char* step) {
    rlimit cur{};
    if (::getrlimit(resource, &cur) != 0) die(a, step, errno);
    rlimit want{};
    want.rlim_max = std::min<rlim_t>(hard, cur.rlim_max);  // only lower
    want.rlim_cur = std::min<rlim_t>(soft, want.rlim_max);
    if (::setrlimit(resource, &want) != 0) die(a, step, errno);
}

void setup_rlimits(const ChildArgs& a) {
    const Rlimits& r = a.plan->rlimits;
    set_limit(a, RLIMIT_CORE, 0, 0, "setrlimit(CORE)");
    // Soft below hard: SIGXCPU at the soft limit, SIGKILL a second later.
    if (r.cpu_seconds)
        set_limit(a, RLIMIT_CPU, *r.cpu_seconds, *r.cpu_seconds + 1, "setrlimit(CPU)");
    if (r.file_size_bytes)
        set_limit(a, RLIMIT_FSIZE, *r.file_size_bytes, *r.file_size_bytes, "setrlimit(FSIZE)");
    if (r.nofile) set_limit(a, RLIMIT_NOFILE, *r.nofile, *r.nofile, "setrlimit(NOFILE)");
    if (r.address_space_bytes)
        set_limit(a, RLIMIT_AS, *r.address_space_bytes, *r.address_space_bytes, "setrlimit(AS)");
}

void setup_credentials(const ChildArgs& a) {
    const ChildPlan& p = *a.plan;
    if (!p.uid) return;
    const gid_t gid = *p.gid;
    const uid_t uid = *p.uid;
    if (::setgroups(p.groups.size(), p.groups.data()) != 0) die(a, "setgroups", errno);
    if (::setresgid(gid, gid, gid) != 0) die(a, "setresgid", errno);
    if (::setresuid(uid, uid, uid) != 0) die(a, "setresuid", errno);
    uid_t ru = 0, eu = 0, su = 0;
    gid_t rg = 0, eg = 0, sg = 0;
    if (::getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid)
        die(a, "verifying the uid change", EPERM);
    if (::getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
        die(a, "verifying the gid change", EPERM);
    if (::getgroups(0, nullptr) != static_cast<int>(p.groups.size()))
        die(a, "verifying the supplementary groups", EPERM);
    if (uid != 0 && ::setuid(0) == 0) die(a, "verifying root cannot be regained", EPERM);
}

// The credential steps and everything after them happen in the exec helper
// (exec_as.cpp), with a memory map of its own. Its start pipe is fd 3 and
// must survive this execve (the helper makes it close-on-exec again); it is
// placed before the rlimits, which may lower RLIMIT_NOFILE to 3 or less.
[[noreturn]] void exec_helper(const ChildArgs& a) {
    constexpr int kHelperPipe = 3;
    const int moved =
        a.err_w == kHelperPipe ? ::fcntl(kHelperPipe, F_SETFD, 0) : ::dup2(a.err_w, kHelperPipe);
    if (moved < 0) die(a, "passing the start pipe to the exec helper", errno);
    setup_rlimits(a);
    ::execve(a.plan->exec_helper.c_str(), a.helper_argv, a.envp);
    die(a, "execve (exec helper)", errno);
}

// SIGKILL when the parent dies, then the check that it has not died yet:
// a parent gone before the prctl sends nothing. Needed in every process of
// the chain (the kernel clears it in a fork's child, and at a credential
// change of the process itself), so none outlives a kill -9 of the agent.
void arm_death_signal(const ChildArgs& a, pid_t expected_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die(a, "PR_SET_PDEATHSIG", errno);
    if (::getppid() != expected_parent) die(a, "the agent went away during set-up", ESRCH);
}

// Steps 6..12: everything after the namespaces, in the process that execs.
[[noreturn]] void finish_and_exec(const ChildArgs& a, pid_t expected_parent) {
    const ChildPlan& p = *a.plan;
    if (a.helper_argv != nullptr) exec_helper(a);
    setup_rlimits(a);
    setup_credentials(a);
    // Again after the uid change: a credential change clears the death signal.
    arm_death_signal(a, expected_parent);
    if (p.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        die(a, "PR_SET_NO_NEW_PRIVS", errno);
    if (p.landlock_abi > 0)
        if (int e = apply_landlock(p.landlock_abi, p.landlock_paths)) die(a, "landlock", e);
    if (p.seccomp)
        if (int e = install_seccomp_program(*p.seccomp)) die(a, "seccomp", e);
    if (::chdir(p.working_dir.c_str()) != 0) die(a, "chdir", errno);
    ::execve(p.path.c_str(), a.argv, a.envp);
    die(a, "execve", errno);
}

// Re-creates `status` as our own exit: the same code, or death by the same
// signal (no core: RLIMIT_CORE is 0 here).
[[noreturn]] void exit_like(int status) {
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        rlimit none{0, 0};
        ::setrlimit(RLIMIT_CORE, &none);
        ::signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
        ::kill(::getpid(), sig);
        ::_exit(128 + sig);
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

pid_t wait_for(pid_t pid, int* status) {
    for (;;) {
        const pid_t r = ::waitpid(pid, status, 0);
        if (r >= 0 || errno != EINTR) return r;
    }
}

// PID namespace: we (P0, outside) fork P1 = the namespace's init, which mounts
// a fresh /proc and forks P2 = the command. P1 reaps orphans and exits with
// P2's status (the kernel then kills whatever is left in the namespace);
// P0 waits for P1 and exits the same way, so the agent sees the command's
// status on its own child. SIGTERM/INT/HUP are forwarded P0 -> P1 -> P2
// (an init ignores signals it has no handler for).
[[noreturn]] void run_pid_namespace(ChildArgs& a) {
    if (::unshare(CLONE_NEWPID) != 0) die(a, "unshare(CLONE_NEWPID)", errno);
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) die(a, "pipe2", errno);
    const pid_t p1 = ::fork();
    if (p1 < 0) die(a, "fork (pid namespace init)", errno);
    if (p1 > 0) {
        char record[32] = "";
        put_number(record, p1);
        report(a.err_w, 'N', record, nullptr);
        ::close(a.err_w);
        ::close(status_pipe[1]);
        for (int fd = 0; fd <= 2; ++fd) ::close(fd);
        g_forward_to = p1;
        install_forwarding();
        int status = 0;
        if (wait_for(p1, &status) < 0) ::_exit(127);
        int command_status = 0;
        if (::read(status_pipe[0], &command_status, sizeof command_status) ==
            static_cast<ssize_t>(sizeof command_status))
            exit_like(command_status);
        exit_like(status);
    }
    // P1, the namespace's init.
    ::close(status_pipe[0]);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die(a, "PR_SET_PDEATHSIG", errno);
    // getppid() is 0 here (our parent is outside the namespace), so P0's
    // death before PDEATHSIG was armed shows as a status pipe without reader.
    pollfd reader{status_pipe[1], POLLOUT, 0};
    if (::poll(&reader, 1, 0) < 0 || (reader.revents & POLLERR) != 0)
        die(a, "the agent went away during set-up", ESRCH);
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
        die(a, "mounting /proc", errno);
    install_forwarding();
    const pid_t p2 = ::fork();
    if (p2 < 0) die(a, "fork (command)", errno);
    if (p2 == 0) {
        reset_signals();
        finish_and_exec(a, 1);
    }
    g_forward_to = p2;
    ::close(a.err_w);
    for (int fd = 0; fd <= 2; ++fd) ::close(fd);
    for (;;) {
        int status = 0;
        const pid_t r = wait_for(-1, &status);
        if (r == p2) {
            write_all(status_pipe[1], reinterpret_cast<const char*>(&status), sizeof status);
            ::_exit(0);
        }
        if (r < 0) ::_exit(127);
    }
}

}  // namespace

void run_child(ChildArgs a) {
    const ChildPlan& p = *a.plan;
    // From the first step: a set-up that hangs (a mount, a hung file
    // system) and P0 of a PID namespace, which waits for the command for the
    // whole run, must die with the agent too. outpost-exec-as keeps it
    // across its execve and arms it again after its uid change.
    arm_death_signal(a, a.agent_pid);
    join_cgroups(a);                              // 1: before anything can fork
    reset_signals();                              // 2: ignored signals would survive exec
    if (::setsid() < 0) die(a, "setsid", errno);  // 3
    setup_fds(a);                                 // 4
    int flags = 0;                                // 5
    if (p.mount_ns) flags |= CLONE_NEWNS;
    if (p.net_ns) flags |= CLONE_NEWNET;
    if (p.ipc_ns) flags |= CLONE_NEWIPC;
    if (p.uts_ns) flags |= CLONE_NEWUTS;
    if (flags != 0 && ::unshare(flags) != 0) die(a, "unshare", errno);
    if (p.mount_ns) setup_mounts(a);
    if (p.pid_ns) run_pid_namespace(a);
    finish_and_exec(a, a.agent_pid);
}

int run_cloned_child(void* args) {
    run_child(*static_cast<ChildArgs*>(args));
}

}  // namespace outpost::executors
