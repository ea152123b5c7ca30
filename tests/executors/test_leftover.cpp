// Issue 14: no process of a run outlives the agent. Every process of the
// chain dies with its parent (PR_SET_PDEATHSIG), and at start-up the agent
// kills whatever an earlier agent process left in its run cgroups.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "executors/sandbox/leftover_runs.hpp"
#include "executors/sandbox/run_cgroup_names.hpp"
#include "executors/sandbox/small_file.hpp"
#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;
using namespace std::chrono_literals;

namespace {

// A parent cgroup of this test process's own, so the runs of other tests
// and agents on the machine are never in sight.
std::string test_parent() {
    return "outpost-leftover-test-" + std::to_string(::getpid());
}

std::string marker() {
    static int n = 0;
    return "8" + std::to_string(::getpid() % 10000) + "." + std::to_string(++n) + "3";
}

// A pid that is certainly dead: a child we have reaped.
pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

std::vector<std::string> hierarchy_dirs(const CgroupSupport& support) {
    std::vector<std::string> out;
    for (const auto* own :
         {&support.v2_dir, &support.v1_pids_dir, &support.v1_memory_dir, &support.v1_freezer_dir})
        if (*own) out.push_back(**own + "/" + test_parent());
    return out;
}

void remove_test_parents(const CgroupSupport& support) {
    for (const std::string& dir : hierarchy_dirs(support)) ::rmdir(dir.c_str());
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// `sh -c 'sleep M & exec sleep M'` in the cgroups `dirs`, as orphans: the
// process that joined and forked them exits (and is reaped) at once, as an
// agent's would have after a kill -9.
void start_orphans_in(const std::vector<std::string>& dirs, const std::string& mark) {
    const pid_t middle = ::fork();
    REQUIRE(middle >= 0);
    if (middle == 0) {
        for (const std::string& dir : dirs) {
            const int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(1);
            ::close(fd);
        }
        if (::fork() == 0) {
            ::setsid();
            ::execl("/bin/sh", "sh", "-c", "sleep $0 & exec sleep $0", mark.c_str(), nullptr);
            ::_exit(127);
        }
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(middle, &status, 0) == middle);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(wait_until([&] { return processes_with(mark).size() == 2; }, 5s));
}

CgroupSupport v1_only(CgroupSupport support, bool freezer) {
    support.v2_dir.reset();
    support.v2_controllers.clear();
    support.v2_kill = false;
    if (!freezer) support.v1_freezer_dir.reset();
    return support;
}

// A process and its ancestors below `top` (excluded), as pid + start time.
std::vector<std::pair<pid_t, std::uint64_t>> chain_below(pid_t pid, pid_t top) {
    std::vector<std::pair<pid_t, std::uint64_t>> out;
    for (int depth = 0; pid > 1 && pid != top && depth < 8; ++depth) {
        const auto start = process_start_ticks(pid);
        const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        if (!start || close == std::string::npos) break;
        std::istringstream in(stat.substr(close + 2));
        std::string state;
        pid_t parent = 0;
        in >> state >> parent;
        out.emplace_back(pid, *start);
        pid = parent;
    }
    return out;
}

bool any_alive(const std::vector<std::pair<pid_t, std::uint64_t>>& chain) {
    for (const auto& [pid, start] : chain) {
        const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        const bool zombie =
            close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
        if (process_start_ticks(pid) == start && !zombie) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("run cgroup names carry the pid and start time of the agent process", "[leftover]") {
    const auto own = parse_run_cgroup_name(run_cgroup_name(42));
    REQUIRE(own);
    CHECK(own->pid == ::getpid());
    REQUIRE(own->start_ticks);
    CHECK(own->start_ticks == process_start_ticks(::getpid()));
    CHECK_FALSE(owner_gone(*own));
    // Our pid, another start: an earlier process that had this pid.
    CHECK(owner_gone(RunCgroupOwner{::getpid(), *own->start_ticks + 1}));
    CHECK(owner_gone(RunCgroupOwner{dead_pid(), own->start_ticks}));

    // Older agents' names: judged by the pid alone.
    const auto legacy = parse_run_cgroup_name("run-" + std::to_string(::getpid()) + "-7");
    REQUIRE(legacy);
    CHECK_FALSE(legacy->start_ticks);
    CHECK_FALSE(owner_gone(*legacy));
    CHECK(owner_gone(*parse_run_cgroup_name("run-" + std::to_string(dead_pid()) + "-7")));

    for (const char* bad : {"run-", "run-12", "run-x-1", "run-0-1", "run-12-3-", "run-12-3-4-5",
                            "run-12--4", "agent", "run-12-3x"})
        CHECK_FALSE(parse_run_cgroup_name(bad));
}

TEST_CASE("processes left in a dead agent process's run cgroups are killed, then the cgroups go",
          "[leftover]") {
    const CgroupSupport& probed_support = probed().cgroups;
    struct Variant {
        const char* name;
        CgroupSupport support;
        bool usable;
    };
    const Variant variants[] = {
        {"cgroup.kill", probed_support, probed_support.v2_dir && probed_support.v2_kill},
        {"v1 freezer", v1_only(probed_support, true), probed_support.v1_freezer_dir.has_value()},
        {"v1 pids only: SIGKILL each member", v1_only(probed_support, false),
         probed_support.v1_pids_dir.has_value()},
    };
    for (const Variant& v : variants) {
        DYNAMIC_SECTION(v.name) {
            if (!v.usable) OUTPOST_SKIP("not on this host");
            const CgroupSupport& support = v.support;
            const std::string name = "run-" + std::to_string(dead_pid()) + "-12345-1";
            std::vector<std::string> dirs;
            for (const std::string& parent : hierarchy_dirs(support)) {
                std::filesystem::create_directories(parent + "/" + name);
                dirs.push_back(parent + "/" + name);
            }
            const std::string mark = marker();
            start_orphans_in(dirs, mark);

            const LeftoverRuns found = reap_leftover_runs(support, test_parent(), 5s);
            CHECK(found.searched);
            CHECK(found.runs == 1);
            CHECK(found.processes == 2);
            CHECK(found.survivors == 0);
            CHECK(found.problems.empty());
            CHECK(found.outcome() == "2 processes left by the previous agent's runs were killed");
            CHECK(processes_with(mark).empty());
            for (const std::string& dir : dirs) CHECK_FALSE(std::filesystem::exists(dir));
            remove_test_parents(support);
        }
    }
}

TEST_CASE("the runs of a live agent process are left alone", "[leftover]") {
    const CgroupSupport& support = probed().cgroups;
    if (!support.v2_dir) OUTPOST_SKIP("no cgroup v2 here");
    const std::string dir = *support.v2_dir + "/" + test_parent() + "/" + run_cgroup_name(999999);
    std::filesystem::create_directories(dir);
    const std::string mark = marker();
    start_orphans_in({dir}, mark);

    const LeftoverRuns found = reap_leftover_runs(support, test_parent(), 1s);
    CHECK(found.runs == 0);
    CHECK(found.outcome() == "no process of the previous agent's runs was left");
    CHECK(processes_with(mark).size() == 2);
    CHECK(std::filesystem::exists(dir));

    for (pid_t pid : processes_with(mark)) ::kill(pid, SIGKILL);
    CHECK(wait_until([&] { return ::rmdir(dir.c_str()) == 0; }, 5s));
    remove_test_parents(support);
}

TEST_CASE("every process of a run's chain dies with the agent", "[leftover][pdeathsig]") {
    struct Variant {
        const char* name;
        SandboxProfile profile;
        bool nobody;
    };
    const Variant variants[] = {
        {"strict (PID namespace) as root", full_profile(), false},
        {"strict (PID namespace) as nobody", full_profile(), true},
        {"standard-like (mount namespace) as nobody",
         [] {
             SandboxProfile p = bare_profile();
             p.private_tmp = true;
             p.seccomp = true;
             return p;
         }(),
         true},
        {"none as root", bare_profile(), false},
    };
    const Capabilities& caps = probed();
    for (const Variant& v : variants) {
        DYNAMIC_SECTION(v.name) {
            if (::geteuid() != 0) OUTPOST_SKIP("needs root");
            SandboxProfile profile = v.profile;
            if (v.nobody) profile.uid = 65534;
            const std::string mark = marker();
            const std::string parent = test_parent();  // ours, not the stand-in's pid
            // A stand-in agent: a runner in a child of this test process,
            // which the test kills with SIGKILL mid-run.
            const pid_t agent = ::fork();
            REQUIRE(agent >= 0);
            if (agent == 0) {
                auto loop = outpost::transport::EventLoop::create();
                if (!loop) ::_exit(1);
                Runner::Options options;
                options.cgroup_parent = parent;
                Runner runner(**loop, caps, options);
                auto started = runner.start(spec("/bin/sleep", {mark}, profile),
                                            [](RunResult) { ::_exit(3); });
                if (!started) ::_exit(2);
                (void)(*loop)->run_until([] { return false; }, 60s);
                ::_exit(4);
            }
            const bool up = wait_until([&] { return processes_with(mark).size() == 1; }, 10s);
            std::vector<std::pair<pid_t, std::uint64_t>> chain;
            if (up) chain = chain_below(processes_with(mark).front(), agent);
            ::kill(agent, SIGKILL);
            int status = 0;
            REQUIRE(::waitpid(agent, &status, 0) == agent);
            REQUIRE(up);
            // sleep, and for the PID namespace its init and their parent P0.
            const bool pid_ns =
                profile.own_pid_namespace && caps.available(Protection::namespaces_pid);
            CHECK(chain.size() == (pid_ns ? 3U : 1U));
            // No start-up reaper here: only the death signals.
            CHECK(wait_until([&] { return !any_alive(chain); }, 3s));
            for (const auto& [pid, start] : chain)
                if (process_start_ticks(pid) == start) ::kill(pid, SIGKILL);
            // What the stand-in left: empty run cgroups, removed here.
            const LeftoverRuns left = reap_leftover_runs(caps.cgroups, parent, 5s);
            CHECK(left.runs == 1);
            CHECK(left.survivors == 0);
            // Empty now, in every hierarchy the stand-in used.
            for (const std::string& dir : hierarchy_dirs(caps.cgroups))
                CHECK((::rmdir(dir.c_str()) == 0 || errno == ENOENT));
        }
    }
}
