#include "executors/sandbox/leftover_runs.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <set>
#include <thread>

#include "executors/sandbox/run_cgroup_names.hpp"
#include "executors/sandbox/small_file.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::executors {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRound = std::chrono::milliseconds(10);

struct Leftover {
    std::string name;
    RunCgroup cgroup;
};

// Whether `pid` is (still) in run cgroup `name`, by its /proc/<pid>/cgroup.
bool member_of(pid_t pid, const std::string& name) {
    const std::string lines = read_file("/proc/" + std::to_string(pid) + "/cgroup");
    const std::string dir = "/" + name;
    for (auto at = lines.find(dir); at != std::string::npos; at = lines.find(dir, at + 1)) {
        const auto after = at + dir.size();
        if (after == lines.size() || lines[after] == '\n' || lines[after] == '/') return true;
    }
    return false;
}

// Only v1 pids/memory directories, no freezer: nothing can stop the tree
// forking, so each member is SIGKILLed and the caller repeats the round.
// Through a pidfd opened before the membership check: a pid read from
// cgroup.procs may name another process by the time it is signalled.
void kill_each_member(const Leftover& run) {
    for (const pid_t pid : run.cgroup.processes()) {
        const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        if (!pidfd.valid() || !member_of(pid, run.name)) continue;
        ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
    }
}

void kill_round(Leftover& run, LeftoverRuns& out) {
    if (!run.cgroup.can_kill()) {
        kill_each_member(run);
        return;
    }
    if (auto killed = run.cgroup.kill_all(); !killed) {
        const std::string problem = "run cgroup " + run.name + ": " + killed.error().message();
        if (std::find(out.problems.begin(), out.problems.end(), problem) == out.problems.end())
            out.problems.push_back(problem);
        kill_each_member(run);
    }
}

std::string processes_text(std::size_t n) {
    return n == 1 ? "1 process" : std::to_string(n) + " processes";
}

}  // namespace

std::string LeftoverRuns::outcome() const {
    if (!searched) {
        return "processes of the previous agent's runs could not be looked for (no run cgroups "
               "on this host)";
    }
    if (processes == 0) return "no process of the previous agent's runs was left";
    std::string text = processes_text(processes) + " left by the previous agent's runs " +
                       (processes == 1 ? "was" : "were") + " killed";
    if (survivors > 0)
        text += ", " + std::to_string(survivors) + " of them still there after SIGKILL";
    return text;
}

LeftoverRuns reap_leftover_runs(const CgroupSupport& support, const std::string& parent_name,
                                std::chrono::milliseconds limit) {
    LeftoverRuns out;
    out.searched =
        support.v2_dir || support.v1_pids_dir || support.v1_memory_dir || support.v1_freezer_dir;
    std::vector<Leftover> runs;
    for (std::string& name : orphaned_run_cgroups(support, parent_name)) {
        auto cgroup = RunCgroup::adopt(support, parent_name, name);
        if (cgroup) runs.push_back(Leftover{std::move(name), std::move(*cgroup)});
    }
    out.runs = runs.size();

    // Counted as seen, round by round: a process forked while the first
    // kill went out is one of them too.
    std::set<pid_t> seen;
    const auto deadline = Clock::now() + limit;
    for (;;) {
        bool all_gone = true;
        for (Leftover& run : runs) {
            const std::vector<pid_t> members = run.cgroup.processes();
            seen.insert(members.begin(), members.end());
            if (members.empty() && run.cgroup.empty()) continue;
            all_gone = false;
            kill_round(run, out);
        }
        if (all_gone || Clock::now() >= deadline) break;
        std::this_thread::sleep_for(kRound);
    }
    out.processes = seen.size();
    for (Leftover& run : runs) {
        out.survivors += run.cgroup.processes().size();
        if (!run.cgroup.remove())
            out.problems.push_back("run cgroup " + run.name + " could not be removed (busy)");
    }
    return out;
}

}  // namespace outpost::executors
