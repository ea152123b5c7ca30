// The parent's side of starting a command: the plan (plan_sandbox) and the
// start (fork_child). What the child does is in child_process.cpp.
#include "executors/sandbox/child_setup.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "executors/sandbox/child_process.hpp"
#include "executors/sandbox/clone_vm.hpp"
#include "executors/sandbox/exec_as/interface.hpp"
#include "executors/sandbox/probe.hpp"

namespace outpost::executors {
namespace {

Expected<void> make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe2: ") + std::strerror(errno));
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    return {};
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

constexpr const char* kSharedIntoCgroup = "clone3 CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP";
constexpr const char* kShared = "clone3 CLONE_VM|CLONE_VFORK";
constexpr const char* kSharedIntoCgroupHelper =
    "clone3 CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP, then outpost-exec-as";
constexpr const char* kSharedHelper = "clone3 CLONE_VM|CLONE_VFORK, then outpost-exec-as";
constexpr const char* kForkedIntoCgroup = "clone3 CLONE_INTO_CGROUP";
constexpr const char* kForked = "fork";

bool has_namespaces(const ChildPlan& plan) {
    return plan.mount_ns || plan.net_ns || plan.ipc_ns || plan.uts_ns || plan.pid_ns;
}

// Whether the child may borrow the agent's memory until execve (see
// start_sharing_memory). Not when it:
// - sets up namespaces or joins a cgroup by writing: slow, and it would
//   hold the event loop;
// - changes its uid or gid (to other ids than the agent's own, as `run_as:
//   root` under a root agent does not): the kernel then marks the *shared* memory map
//   non-dumpable (commit_creds -> set_dumpable), which would stay on the
//   agent, and from setresuid() to execve() any process of that uid may
//   SIGSTOP the child, which would freeze the agent's loop with it. Unless
//   the exec helper does the change (uses_exec_helper): the shared child
//   then stays root until its execve of the helper;
// - opens Landlock paths: a hung file system would hold the loop.
bool keeps_agent_ids(const ChildPlan& plan) {
    return (!plan.uid || *plan.uid == ::geteuid()) && (!plan.gid || *plan.gid == ::getegid());
}

// The helper does the credential steps, the death signal, no_new_privs and
// the working directory; a plan that needs more after the uid change
// (Landlock, seccomp) does it all in a forked child instead.
bool uses_exec_helper(const ChildPlan& plan) {
    return !keeps_agent_ids(plan) && !plan.exec_helper.empty() && plan.uid && plan.gid &&
           plan.groups.size() <= exec_as::kMaxGroups && plan.landlock_abi == 0 && !plan.seccomp;
}

bool can_share_memory(const ChildPlan& plan) {
    return !has_namespaces(plan) && plan.cgroup_procs_files.empty() &&
           (keeps_agent_ids(plan) || uses_exec_helper(plan)) && plan.landlock_paths.empty();
}

// outpost-exec-as VERSION UID GID NGROUPS [GROUP...] AGENT_PID NO_NEW_PRIVS DIR PATH ARGV...
std::vector<std::string> helper_arguments(const ChildPlan& plan, pid_t agent_pid) {
    std::vector<std::string> out{plan.exec_helper, exec_as::kInterfaceVersion,
                                 std::to_string(*plan.uid), std::to_string(*plan.gid),
                                 std::to_string(plan.groups.size())};
    for (const gid_t group : plan.groups) out.push_back(std::to_string(group));
    out.push_back(std::to_string(agent_pid));
    out.emplace_back(plan.no_new_privs ? "1" : "0");
    out.push_back(plan.working_dir);
    out.push_back(plan.path);
    out.insert(out.end(), plan.argv.begin(), plan.argv.end());
    return out;
}

struct StartResult {
    pid_t pid = -1;
    int pidfd = -1;           // from CLONE_PIDFD; -1: open one with pidfd_open
    const char* call = "";    // for the error message
    const char* method = "";  // SpawnedChild::start_method
    int err = 0;
    std::string refusals;  // earlier methods the kernel refused, for the error
};

// clone3 is missing before Linux 5.3: after the first ENOSYS, every start
// would pay one or two failed calls for nothing.
std::atomic<bool> clone3_missing{false};

void note_refusal(StartResult& into, const StartResult& refused) {
    if (refused.err == ENOSYS && std::string_view(refused.call) == "clone3")
        clone3_missing.store(true, std::memory_order_relaxed);
    if (!into.refusals.empty()) into.refusals += ", ";
    into.refusals += std::string(refused.method) + ": " + std::strerror(refused.err);
}

// The child's stack when it borrows our memory: reused (our thread is
// suspended while it is in use, so one per thread is enough), with a guard
// page below it so an overflow faults instead of writing over the agent.
class BorrowedStack {
  public:
    static constexpr std::size_t kGuard = 4096;
    static constexpr std::size_t kSize = 64 * 1024;

    BorrowedStack() {
        void* map = ::mmap(nullptr, kGuard + kSize, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (map == MAP_FAILED) return;
        if (::mprotect(static_cast<char*>(map) + kGuard, kSize, PROT_READ | PROT_WRITE) != 0) {
            ::munmap(map, kGuard + kSize);
            return;
        }
        base_ = static_cast<char*>(map);
    }
    ~BorrowedStack() {
        if (base_ != nullptr) ::munmap(base_, kGuard + kSize);
    }
    BorrowedStack(const BorrowedStack&) = delete;
    BorrowedStack& operator=(const BorrowedStack&) = delete;

    [[nodiscard]] bool valid() const { return base_ != nullptr; }
    [[nodiscard]] std::uint64_t bottom() const {
        return reinterpret_cast<std::uintptr_t>(base_ + kGuard);
    }
    // The child's frames never return (execve or _exit): whatever an
    // instrumented build marked in this range must not outlive the child.
    void forget_child_frames() const {
#if defined(__SANITIZE_ADDRESS__)
        if (base_ != nullptr) ASAN_UNPOISON_MEMORY_REGION(base_ + kGuard, kSize);
#endif
    }

  private:
    char* base_ = nullptr;
};

clone_args base_clone_args(StartResult& r, int cgroup_fd) {
    clone_args ca{};
    ca.flags = CLONE_PIDFD;
    ca.pidfd = reinterpret_cast<std::uintptr_t>(&r.pidfd);
    ca.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    }
    return ca;
}

// Like posix_spawn: CLONE_VM|CLONE_VFORK copies no page tables and leaves
// no copy-on-write faults behind in the agent, and our thread is suspended
// until the child has exec'd or exited, so the child may use the shared
// memory (its own stack, the plan) without racing us. That pause blocks the
// event loop for the set-up, so only quick set-ups come here (see start()).
StartResult start_sharing_memory(ChildArgs& args, int cgroup_fd) {
    thread_local BorrowedStack stack;
    StartResult r;
    r.call = "clone3";
    r.method = cgroup_fd >= 0 ? kSharedIntoCgroup : kShared;
    if (!clone3_vm_available()) {
        r.call = "clone3 trampoline";  // not the kernel's ENOSYS: see note_refusal()
        r.err = ENOSYS;
        return r;
    }
    if (!stack.valid()) {
        r.call = "mmap (child stack)";
        r.err = ENOMEM;
        return r;
    }
    if (args.helper_argv != nullptr)
        r.method = cgroup_fd >= 0 ? kSharedIntoCgroupHelper : kSharedHelper;
    clone_args ca = base_clone_args(r, cgroup_fd);
    ca.flags |= CLONE_VM | CLONE_VFORK;
    ca.stack = stack.bottom();
    ca.stack_size = BorrowedStack::kSize;
    const long pid = clone3_vm(&ca, run_cloned_child, &args);
    stack.forget_child_frames();
    if (pid < 0) {
        r.err = static_cast<int>(-pid);
        r.pidfd = -1;
        return r;
    }
    r.pid = static_cast<pid_t>(pid);
    return r;
}

// A copy of the agent, created in its cgroup: the set-up runs in the
// background, and nothing has to move it into the cgroup later.
StartResult start_forked_into(ChildArgs& args, int cgroup_fd) {
    StartResult r;
    r.call = "clone3";
    r.method = kForkedIntoCgroup;
    clone_args ca = base_clone_args(r, cgroup_fd);
    const long pid = ::syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) run_child(args);
    if (pid < 0) {
        r.err = errno;
        r.pidfd = -1;
        return r;
    }
    r.pid = static_cast<pid_t>(pid);
    return r;
}

StartResult start_forked(ChildArgs& args) {
    StartResult r;
    r.call = "fork";
    r.method = kForked;
    r.pid = ::fork();
    r.err = errno;
    if (r.pid == 0) run_child(args);
    return r;
}

// The cheapest start the plan and the kernel allow. Joining a cgroup by
// writing cgroup.procs waits for an RCU grace period (3-14 ms measured, see
// docs/performance.md), so the child is created inside the run's v2 cgroup
// where clone3 can. Only a child that can_share_memory() borrows the agent's
// memory; every other one is forked, so its set-up never holds the event
// loop. Each method falls back to the next when the kernel refuses it.
StartResult start(const ChildPlan& plan, ChildArgs& args, int cgroup_fd,
                  const std::string& unified_procs) {
    StartResult refused;
    const bool cgroup_ready = cgroup_fd >= 0 || plan.unified_cgroup_dir.empty();
    const bool have_clone3 = !clone3_missing.load(std::memory_order_relaxed);
    if (cgroup_ready && have_clone3) {
        if (can_share_memory(plan)) {
            StartResult r = start_sharing_memory(args, cgroup_fd);
            if (r.pid >= 0) return r;
            note_refusal(refused, r);
        }
        args.helper_argv = nullptr;  // a forked child changes credentials itself
        if (cgroup_fd >= 0) {
            StartResult r = start_forked_into(args, cgroup_fd);
            if (r.pid >= 0) return r;
            note_refusal(refused, r);
        }
    }
    args.helper_argv = nullptr;
    if (!unified_procs.empty()) args.join_unified_procs = unified_procs.c_str();
    StartResult r = start_forked(args);
    r.refusals = std::move(refused.refusals);
    return r;
}

}  // namespace

Expected<ChildPlan> plan_sandbox(const SandboxProfile& profile, const Capabilities& caps,
                                 std::string* home) {
    const std::set<Protection> wanted = requested_protections(profile);
    auto use = [&](Protection p) { return wanted.contains(p) && caps.available(p); };
    ChildPlan plan;
    plan.mount_ns = use(Protection::namespaces_mount);
    plan.net_ns = use(Protection::namespaces_net);
    plan.ipc_ns = use(Protection::namespaces_ipc);
    plan.uts_ns = use(Protection::namespaces_uts);
    // A PID namespace needs its own /proc, so only with a mount namespace.
    plan.pid_ns = use(Protection::namespaces_pid) && plan.mount_ns;
    plan.read_only_root = plan.mount_ns && profile.read_only_root;
    plan.private_tmp = plan.mount_ns && profile.private_tmp;
    if (plan.mount_ns) plan.writable_paths = profile.writable_paths;
    for (const auto& path : profile.writable_paths)
        if (path.empty() || path.front() != '/')
            return fail("writable path is not absolute: " + path);
    plan.use_mount_setattr = caps.mount_setattr;
    plan.use_close_range = caps.close_range;
    plan.rlimits = profile.rlimits;
    plan.no_new_privs = use(Protection::no_new_privs);
    if (use(Protection::landlock) && plan.no_new_privs) {
        plan.landlock_abi = caps.landlock_abi;
        plan.landlock_paths = profile.writable_paths;
        if (profile.private_tmp) plan.landlock_paths.emplace_back("/tmp");
    }
    if (use(Protection::seccomp) && plan.no_new_privs) {
        // The program never changes, and compiling it through libseccomp was
        // ~12 % of the agent's CPU per strict command (perf).
        static const Expected<SeccompProgram> program = build_seccomp_program();
        if (!program) return std::unexpected(program.error().context("seccomp"));
        plan.seccomp = *program;
    }

    const uid_t uid = profile.uid.value_or(0);
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf;
    if (home != nullptr || (profile.uid && !profile.gid)) {
        buf.resize(16384);
        ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    }
    if (profile.uid) {
        plan.uid = profile.uid;
        if (profile.gid) {
            plan.gid = profile.gid;
        } else if (found != nullptr) {
            plan.gid = found->pw_gid;
        } else {
            return fail("uid " + std::to_string(uid) + " has no passwd entry; give a gid");
        }
        plan.groups = profile.groups;
    } else if (profile.gid || !profile.groups.empty()) {
        return fail("a gid or groups without a uid is not supported");
    }
    if (home != nullptr) *home = found != nullptr && found->pw_dir != nullptr ? found->pw_dir : "/";
    return plan;
}

Expected<SpawnedChild> fork_child(const ChildPlan& plan) {
    if (plan.path.empty() || plan.path.front() != '/')
        return fail("program path is not absolute: " + plan.path);
    SpawnedChild child;
    UniqueFd err_w, in_r, out_w, errout_w;
    if (auto r = make_pipe(child.start_fd, err_w); !r) return std::unexpected(r.error());
    if (auto r = make_pipe(child.stdout_fd, out_w); !r) return std::unexpected(r.error());
    if (auto r = make_pipe(child.stderr_fd, errout_w); !r) return std::unexpected(r.error());
    if (plan.stdin_pipe)
        if (auto r = make_pipe(in_r, child.stdin_fd); !r) return std::unexpected(r.error());
    std::vector<char*> argv = c_strings(plan.argv);
    std::vector<char*> envp = c_strings(plan.env);
    const pid_t agent_pid = ::getpid();
    ChildArgs args{&plan,       argv.data(),    envp.data(), err_w.get(), in_r.get(),
                   out_w.get(), errout_w.get(), agent_pid,   nullptr,     nullptr};
    std::vector<std::string> helper_strings;
    std::vector<char*> helper_argv;
    if (uses_exec_helper(plan) && can_share_memory(plan)) {
        helper_strings = helper_arguments(plan, agent_pid);
        helper_argv = c_strings(helper_strings);
        args.helper_argv = helper_argv.data();
    }
    UniqueFd opened_cgroup_dir;
    int cgroup_dir = plan.unified_cgroup_fd;
    std::string unified_procs;
    if (!plan.unified_cgroup_dir.empty()) {
        if (cgroup_dir < 0) {
            opened_cgroup_dir.reset(
                ::open(plan.unified_cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            cgroup_dir = opened_cgroup_dir.get();
        }
        unified_procs = plan.unified_cgroup_dir + "/cgroup.procs";
    }

    // The child starts with every signal blocked until reset_signals(): the
    // agent can signal it (cancel, timeout) from the moment it exists.
    sigset_t all, old;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, &old);
    const StartResult started = start(plan, args, cgroup_dir, unified_procs);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    if (started.pid < 0) {
        std::string why = std::string(started.call) + ": " + std::strerror(started.err);
        // Every method tried, so an operator sees why the cheaper ones failed too.
        if (!started.refusals.empty()) why += " (after " + started.refusals + ")";
        return fail(why);
    }
    const pid_t pid = started.pid;
    child.start_method = started.method;

    child.pid = pid;
    err_w.reset();
    in_r.reset();
    out_w.reset();
    errout_w.reset();
    child.pidfd.reset(started.pidfd >= 0 ? started.pidfd
                                         : static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!child.pidfd.valid()) {
        const int err = errno;
        ::kill(pid, SIGKILL);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return fail(std::string("pidfd_open: ") + std::strerror(err));
    }
    // The set-up goes on in the child; its end (EOF at execve) or failure
    // is read from start_fd on the caller's event loop.
    for (const UniqueFd* fd :
         {&child.stdout_fd, &child.stderr_fd, &child.stdin_fd, &child.start_fd})
        if (fd->valid()) ::fcntl(fd->get(), F_SETFL, O_NONBLOCK);
    return child;
}

}  // namespace outpost::executors
