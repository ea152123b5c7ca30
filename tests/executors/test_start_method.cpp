// fork_child picks the cheapest way to start a child that the plan and the
// kernel allow (child_setup.cpp): these cases check, for each plan shape,
// which way was taken on this machine and that the child really landed in
// its run's cgroups, read from its own /proc/self/cgroup.

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "executors/sandbox/cgroup.hpp"
#include "executors/sandbox/child_setup.hpp"
#include "executors/sandbox/clone_vm.hpp"
#include "executors/sandbox/probe.hpp"
#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;

namespace {

constexpr int kPidfdIdType = 3;  // P_PIDFD

struct Outcome {
    std::string out;
    std::string method;
    std::string start_error;
    int exit_code = -1;
};

ChildPlan cat_own_cgroups() {
    ChildPlan plan;
    plan.path = "/bin/cat";
    plan.argv = {"cat", "/proc/self/cgroup"};
    return plan;
}

// Starts the plan, reads stdout to EOF and reaps the child.
Outcome start_and_wait(const ChildPlan& plan) {
    auto child = fork_child(plan);
    REQUIRE(child);
    Outcome o;
    o.method = std::string(child->start_method);
    char buf[4096];
    for (int polls = 0; polls < 100;) {
        const ssize_t n = ::read(child->stdout_fd.get(), buf, sizeof buf);
        if (n > 0) {
            o.out.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN) {
            pollfd p{child->stdout_fd.get(), POLLIN, 0};
            ::poll(&p, 1, 100);
            ++polls;
        } else if (errno != EINTR) {
            break;
        }
    }
    siginfo_t info{};
    REQUIRE(::syscall(SYS_waitid, kPidfdIdType, child->pidfd.get(), &info, WEXITED, nullptr) == 0);
    StartReader reader;
    (void)reader.read(*child, false);
    o.start_error = reader.error().value_or("");
    o.exit_code = info.si_code == CLD_EXITED ? info.si_status : -1;
    return o;
}

// The line of /proc/self/cgroup for `hierarchy` ("0:" for v2, or a v1
// controller name such as "pids").
std::string line_for(const std::string& text, const std::string& hierarchy) {
    for (const auto& l : lines(text)) {
        if (hierarchy == "0:" ? l.rfind("0::", 0) == 0
                              : l.find(":" + hierarchy + ":") != std::string::npos)
            return l;
    }
    return "";
}

std::string run_name(const char* what) {
    return std::string("start-") + what + "-" + std::to_string(::getpid());
}

}  // namespace

TEST_CASE("no namespaces, no cgroup: the child borrows the agent's memory", "[start][clone]") {
    const Outcome o = start_and_wait(cat_own_cgroups());
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK_FALSE(o.out.empty());
    if (clone3_vm_available())
        CHECK(o.method == "clone3 CLONE_VM|CLONE_VFORK");
    else
        CHECK(o.method == "fork");
}

TEST_CASE("no namespaces, a v2 run cgroup: created inside it without a fork",
          "[start][clone][cgroup]") {
    const CgroupSupport& cgs = probed().cgroups;
    if (!cgs.v2_dir) OUTPOST_SKIP("no writable cgroup v2 hierarchy here");
    auto cg = RunCgroup::create(cgs, "outpost", run_name("shared"), {});
    REQUIRE(cg);
    REQUIRE_FALSE(cg->unified_dir().empty());
    ChildPlan plan = cat_own_cgroups();
    plan.unified_cgroup_dir = cg->unified_dir();
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(line_for(o.out, "0:").find(run_name("shared")) != std::string::npos);
    if (clone3_vm_available()) CHECK(o.method == "clone3 CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP");
    CHECK(cg->empty());
    CHECK(cg->remove());
}

TEST_CASE("namespaces and a v2 run cgroup: forked, created inside it", "[start][clone][cgroup]") {
    const Capabilities& caps = probed();
    if (!caps.cgroups.v2_dir) OUTPOST_SKIP("no writable cgroup v2 hierarchy here");
    if (!caps.available(Protection::namespaces_ipc)) OUTPOST_SKIP("no IPC namespaces here");
    auto cg = RunCgroup::create(caps.cgroups, "outpost", run_name("forked"), {});
    REQUIRE(cg);
    ChildPlan plan = cat_own_cgroups();
    plan.unified_cgroup_dir = cg->unified_dir();
    plan.ipc_ns = true;
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(o.method == "clone3 CLONE_INTO_CGROUP");
    CHECK(line_for(o.out, "0:").find(run_name("forked")) != std::string::npos);
    CHECK(cg->remove());
}

TEST_CASE("v1 limits to join: forked, the v1 cgroup joined by writing", "[start][clone][cgroup]") {
    const CgroupSupport& cgs = probed().cgroups;
    if (!cgs.v2_dir || !cgs.v1_pids_dir) OUTPOST_SKIP("needs cgroup v2 plus a v1 pids hierarchy");
    CgroupLimits limits;
    limits.pids_max = 16;
    auto cg = RunCgroup::create(cgs, "outpost", run_name("v1"), limits);
    REQUIRE(cg);
    ChildPlan plan = cat_own_cgroups();
    plan.unified_cgroup_dir = cg->unified_dir();
    for (const auto& f : cg->procs_files())
        if (f != cg->unified_dir() + "/cgroup.procs") plan.cgroup_procs_files.push_back(f);
    REQUIRE_FALSE(plan.cgroup_procs_files.empty());
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(o.method == "clone3 CLONE_INTO_CGROUP");
    CHECK(line_for(o.out, "0:").find(run_name("v1")) != std::string::npos);
    CHECK(line_for(o.out, "pids").find(run_name("v1")) != std::string::npos);
    CHECK(cg->remove());
}

TEST_CASE("a cgroup the kernel cannot create the child in: fork, then join by writing",
          "[start][clone][cgroup]") {
    // A v1 directory given as the "unified" one: CLONE_INTO_CGROUP refuses
    // it, so the start falls back to fork() and the child writes its
    // cgroup.procs, which a v1 hierarchy accepts.
    const CgroupSupport& cgs = probed().cgroups;
    if (!cgs.v1_pids_dir) OUTPOST_SKIP("needs a v1 pids hierarchy");
    CgroupSupport v1_only = cgs;
    v1_only.v2_dir.reset();
    CgroupLimits limits;
    limits.pids_max = 16;
    auto cg = RunCgroup::create(v1_only, "outpost", run_name("fallback"), limits);
    REQUIRE(cg);
    REQUIRE_FALSE(cg->procs_files().empty());
    ChildPlan plan = cat_own_cgroups();
    const std::string procs = cg->procs_files().front();
    plan.unified_cgroup_dir = procs.substr(0, procs.size() - std::string("/cgroup.procs").size());
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(o.method == "fork");
    CHECK(line_for(o.out, "pids").find(run_name("fallback")) != std::string::npos);
    CHECK(cg->remove());
}

TEST_CASE("a child that changes its uid never borrows the agent's memory", "[start][clone]") {
    // Under CLONE_VM the kernel would mark the agent's own memory map
    // non-dumpable at setresuid(), and a process of that uid could SIGSTOP
    // the child before execve() while the agent waits for it.
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    REQUIRE(::prctl(PR_GET_DUMPABLE) == 1);
    ChildPlan plan = cat_own_cgroups();
    plan.argv = {"cat", "/proc/self/status"};
    plan.uid = nobody->pw_uid;
    plan.gid = nobody->pw_gid;
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(o.method != "clone3 CLONE_VM|CLONE_VFORK");
    CHECK(o.method != "clone3 CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP");
    CHECK(o.out.find("Uid:\t" + std::to_string(nobody->pw_uid)) != std::string::npos);
    CHECK(::prctl(PR_GET_DUMPABLE) == 1);
}

namespace {

// A thread that only waits, like the journal's sync thread between syncs;
// joined however the test ends.
class IdleThread {
  public:
    IdleThread()
        : thread_([this] {
              std::unique_lock lock(mutex_);
              changed_.wait(lock, [this] { return stop_; });
          }) {}
    ~IdleThread() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }
    IdleThread(const IdleThread&) = delete;
    IdleThread& operator=(const IdleThread&) = delete;

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stop_ = false;
    std::thread thread_;  // last: starts once the rest exists
};

}  // namespace

TEST_CASE(
    "with a second thread in the agent (the journal's sync thread), children still "
    "start and change their ids",
    "[start][clone][thread]") {
    // glibc's setgroups/setresgid/setresuid act on every thread of the
    // calling process (SIGSETXID to each). A forked child has only the
    // thread that forked; a clone3 child without CLONE_VM keeps a copy of
    // glibc's thread list whose other threads are not in its thread group,
    // so the broadcast must neither hang nor fail there.
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    IdleThread other;

    std::vector<ChildPlan> plans;
    ChildPlan forked = cat_own_cgroups();
    forked.argv = {"cat", "/proc/self/status"};
    forked.uid = nobody->pw_uid;
    forked.gid = nobody->pw_gid;
    plans.push_back(forked);
    std::optional<RunCgroup> cg;
    const Capabilities& caps = probed();
    if (caps.cgroups.v2_dir) {  // clone3 without CLONE_VM, then the id change
        auto created = RunCgroup::create(caps.cgroups, "outpost", run_name("thread"), {});
        REQUIRE(created);
        cg.emplace(std::move(*created));
        ChildPlan in_cgroup = forked;
        in_cgroup.unified_cgroup_dir = cg->unified_dir();
        plans.push_back(in_cgroup);
    }
    ChildPlan shared = cat_own_cgroups();  // CLONE_VM where the host allows it
    shared.argv = {"cat", "/proc/self/status"};
    plans.push_back(shared);

    for (const ChildPlan& plan : plans) {
        const Outcome o = start_and_wait(plan);
        INFO(o.method);
        CHECK(o.exit_code == 0);
        CHECK(o.start_error.empty());
        const std::string uid = std::to_string(plan.uid.value_or(0));
        const std::string gid = std::to_string(plan.gid.value_or(0));
        CHECK(o.out.find("Uid:\t" + uid + "\t" + uid + "\t" + uid) != std::string::npos);
        CHECK(o.out.find("Gid:\t" + gid + "\t" + gid + "\t" + gid) != std::string::npos);
    }
    if (cg) CHECK(cg->remove());
}

#ifdef OUTPOST_TEST_EXEC_HELPER
namespace {

ChildPlan as_nobody_through_helper(const passwd& nobody) {
    ChildPlan plan = cat_own_cgroups();
    plan.argv = {"cat", "/proc/self/status"};
    plan.uid = nobody.pw_uid;
    plan.gid = nobody.pw_gid;
    plan.no_new_privs = true;
    plan.exec_helper = OUTPOST_TEST_EXEC_HELPER;
    return plan;
}

}  // namespace

TEST_CASE("a uid change through the exec helper: shared memory until the helper's execve",
          "[start][clone][exec_helper]") {
    // The shared child stays root and execs outpost-exec-as, which changes
    // the ids in its own memory map: the agent stays dumpable, and nothing
    // of the target uid ever shares the agent's memory.
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    if (!clone3_vm_available()) OUTPOST_SKIP("no CLONE_VM start on this architecture");
    REQUIRE(::prctl(PR_GET_DUMPABLE) == 1);
    ChildPlan plan = as_nobody_through_helper(*nobody);
    plan.groups = {nobody->pw_gid, 65533};
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(o.method == "clone3 CLONE_VM|CLONE_VFORK, then outpost-exec-as");
    const std::string uid = std::to_string(nobody->pw_uid);
    const std::string gid = std::to_string(nobody->pw_gid);
    CHECK(o.out.find("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n") !=
          std::string::npos);
    CHECK(o.out.find("Gid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid + "\n") !=
          std::string::npos);
    const auto status = lines(o.out);
    const auto groups = std::find_if(status.begin(), status.end(), [](const std::string& l) {
        return l.rfind("Groups:", 0) == 0;
    });
    REQUIRE(groups != status.end());
    CHECK(*groups ==
          (nobody->pw_gid < 65533 ? "Groups:\t" + gid + " 65533 " : "Groups:\t65533 " + gid + " "));
    CHECK(o.out.find("NoNewPrivs:\t1") != std::string::npos);
    CHECK(o.out.find("CapEff:\t0000000000000000") != std::string::npos);
    CHECK(::prctl(PR_GET_DUMPABLE) == 1);
}

TEST_CASE("through the exec helper: working directory, argv and environment reach the command",
          "[start][clone][exec_helper]") {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    ChildPlan plan = as_nobody_through_helper(*nobody);
    plan.path = "/usr/bin/env";
    plan.argv = {"env", "/usr/bin/readlink", "/proc/self/cwd"};
    plan.env = {"PATH=/usr/bin:/bin", "ONLY=this"};
    plan.working_dir = "/usr/share";
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 0);
    CHECK(o.start_error.empty());
    CHECK(o.out == "/usr/share\n");
    plan.argv = {"env"};
    CHECK(start_and_wait(plan).out == "PATH=/usr/bin:/bin\nONLY=this\n");
}

TEST_CASE("through the exec helper: a failed step is reported like the child's own",
          "[start][clone][exec_helper]") {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    ChildPlan plan = as_nobody_through_helper(*nobody);
    plan.path = "/nonexistent/program";
    Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 127);
    CHECK(o.start_error == "execve: No such file or directory");
    plan = as_nobody_through_helper(*nobody);
    plan.working_dir = "/root";  // 0700: nobody may not enter
    o = start_and_wait(plan);
    CHECK(o.exit_code == 127);
    CHECK(o.start_error == "chdir: Permission denied");
}

TEST_CASE("a missing exec helper is reported as such, not as the command's failure",
          "[start][clone][exec_helper]") {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    if (!clone3_vm_available()) OUTPOST_SKIP("no CLONE_VM start on this architecture");
    ChildPlan plan = as_nobody_through_helper(*nobody);
    plan.exec_helper = "/nonexistent/outpost-exec-as";
    const Outcome o = start_and_wait(plan);
    CHECK(o.exit_code == 127);
    CHECK(o.start_error == "execve (exec helper): No such file or directory");
}

TEST_CASE("Landlock or seccomp after the uid change: forked, not through the helper",
          "[start][clone][exec_helper]") {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) OUTPOST_SKIP("no user nobody here");
    ChildPlan plan = as_nobody_through_helper(*nobody);
    plan.landlock_abi = 1;  // the helper cannot apply it
    plan.landlock_paths = {};
    const Outcome o = start_and_wait(plan);
    CHECK(o.method.find("outpost-exec-as") == std::string::npos);
    CHECK(o.method.find("CLONE_VM") == std::string::npos);
}
#endif

namespace {

// What StartReader makes of `records` written to a start pipe that then closes.
std::string start_error_of(const std::string& records) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
    REQUIRE(::write(fds[1], records.data(), records.size()) ==
            static_cast<ssize_t>(records.size()));
    ::close(fds[1]);
    SpawnedChild child;
    child.start_fd.reset(fds[0]);
    StartReader reader;
    CHECK(reader.read(child, false));
    return reader.error().value_or("");
}

}  // namespace

TEST_CASE("the exec helper's reports: errno names, and malformed ones still fail the start",
          "[start][exec_helper]") {
    CHECK(start_error_of("esetresuid:1\n") == "setresuid: Operation not permitted");
    CHECK(start_error_of("echdir:13") == "chdir: Permission denied");  // cut short
    CHECK(start_error_of("eexecve:12abc\n") == "exec helper: malformed report `execve:12abc`");
    CHECK(start_error_of("esetgroups\n") == "exec helper: malformed report `setgroups`");
    CHECK(start_error_of("e:5\n") == "exec helper: malformed report `:5`");
    CHECK(start_error_of("eexecve:0\n") == "exec helper: malformed report `execve:0`");
    CHECK(start_error_of("eexecve:99999999999999999999\n").rfind("exec helper: malformed", 0) == 0);
    // The first report wins, as for the child's own records.
    CHECK(start_error_of("echdir:2\nesetresuid:1\n") == "chdir: No such file or directory");
}

#ifdef OUTPOST_TEST_EXEC_HELPER
TEST_CASE("an exec helper of another interface version refuses to run anything",
          "[start][exec_helper]") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 3);  // the start pipe, as the shared child passes it
        char* argv[] = {const_cast<char*>("outpost-exec-as"),
                        const_cast<char*>("outpost-exec-as/0"),
                        const_cast<char*>("65534"),
                        const_cast<char*>("65534"),
                        const_cast<char*>("0"),
                        nullptr};
        char* envp[] = {nullptr};
        ::execve(OUTPOST_TEST_EXEC_HELPER, argv, envp);
        ::_exit(99);
    }
    ::close(fds[1]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 127);
    char buf[256] = {};
    const ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
    ::close(fds[0]);
    CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) ==
          "eexec helper interface version:22\n");
}
#endif
