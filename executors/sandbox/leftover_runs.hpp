#pragma once
// At the agent's start-up: killing what an earlier agent process left
// running (kill -9, a crash, the OOM killer).
//
// Every process of a run's chain dies with its parent (PR_SET_PDEATHSIG,
// child_process.cpp), but that is not enough to rely on: what the command
// itself forks has no death signal (a `setsid` daemon, a background job), a
// set-uid program clears it at exec, and without a PID namespace nothing
// else takes those with the agent. Their run cgroups still hold them, and
// the names say which agent process made each (run_cgroup_names.hpp). So a
// starting agent kills everything in the run cgroups whose maker is gone,
// waits (bounded) until they are empty, and removes them; only then may the
// commands of the last process be reported `interrupted`, with the outcome
// in their reason.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "executors/sandbox/cgroup.hpp"

namespace outpost::executors {

struct LeftoverRuns {
    bool searched = false;              // some cgroup hierarchy could be looked in
    std::size_t runs = 0;               // run cgroups whose maker is gone
    std::size_t processes = 0;          // processes found in them, and SIGKILLed
    std::size_t survivors = 0;          // still there when the time limit ran out
    std::vector<std::string> problems;  // kill errors, cgroups left in place

    // How it ended, for the reason of the commands the restart interrupted:
    // "no process of the previous agent's runs was left", "3 processes left
    // by the previous agent's runs were killed", ...
    [[nodiscard]] std::string outcome() const;
};

// Kills every process in the orphaned run cgroups under `parent_name`
// (cgroup.kill; else the v1 freezer: freeze, SIGKILL each, thaw; else cgroup
// v2 freeze and SIGKILL each; else SIGKILL each member through a pidfd),
// repeated every 10 ms until they are empty or `limit` has passed, then
// removes them. Blocks the caller for at most about `limit`: call it once
// at start-up, before the first run. Never touches the runs of a live
// agent process (this one included).
[[nodiscard]] LeftoverRuns reap_leftover_runs(
    const CgroupSupport& support, const std::string& parent_name = "outpost",
    std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace outpost::executors
