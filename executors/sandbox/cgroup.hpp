#pragma once
// Per-run cgroups under an agent-owned parent ("<agent's cgroup>/outpost").
//
// cgroup v2 is used for everything where its controllers are delegated to the
// agent; otherwise v1 pids and memory hierarchies (each its own directory)
// carry the limits and the v2 unified hierarchy, when mounted, still gives
// membership tracking and cgroup.kill. A v1 freezer directory is created only
// when there is no cgroup.kill, for the freeze-kill-thaw fallback.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "executors/sandbox/profile.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::executors {

// What the probe found: the agent's own cgroup directory in each hierarchy.
struct CgroupSupport {
    std::optional<std::string> v2_dir;     // unified hierarchy
    std::set<std::string> v2_controllers;  // available in v2_dir (cgroup.controllers)
    bool v2_kill = false;                  // cgroup.kill exists (5.14+)
    std::optional<std::string> v1_pids_dir;
    std::optional<std::string> v1_memory_dir;
    std::optional<std::string> v1_freezer_dir;

    [[nodiscard]] bool pids_available() const {
        return v2_controllers.contains("pids") || v1_pids_dir.has_value();
    }
    [[nodiscard]] bool memory_available() const {
        return v2_controllers.contains("memory") || v1_memory_dir.has_value();
    }
};

// Reads /proc/self/mountinfo and /proc/self/cgroup (roots injectable for tests).
[[nodiscard]] CgroupSupport detect_cgroups(
    const std::string& mountinfo_file = "/proc/self/mountinfo",
    const std::string& self_cgroup_file = "/proc/self/cgroup");

// One run's cgroup directories. Not copyable; remove() when the tree is gone.
class RunCgroup {
  public:
    // Creates "<own>/<parent_name>/<run_name>" in each hierarchy needed for
    // `limits` (and the unified one for tracking/kill) and writes the limits.
    // Hierarchies that are absent are skipped: the caller has already
    // checked that against the profile's required protections.
    [[nodiscard]] static Expected<RunCgroup> create(const CgroupSupport& support,
                                                    const std::string& parent_name,
                                                    const std::string& run_name,
                                                    const CgroupLimits& limits);
    // The directories of run `run_name` (run_cgroup_names.hpp) that exist in
    // the hierarchies of `support`, taken over to be emptied and removed:
    // what an agent process that is gone left behind. nullopt when there is
    // none. Never reused (ready_for_reuse() is false).
    [[nodiscard]] static std::optional<RunCgroup> adopt(const CgroupSupport& support,
                                                        const std::string& parent_name,
                                                        const std::string& run_name);
    // Removes the empty run cgroups that agent processes now gone left
    // under `parent_name` (a crash, kill -9), so they do not pile up. Busy
    // ones stay: killing what is in them is reap_leftover_runs()'s job, at
    // the agent's start-up (leftover_runs.hpp).
    static void sweep_stale(const CgroupSupport& support, const std::string& parent_name);
    RunCgroup() = default;
    RunCgroup(RunCgroup&& other) noexcept;
    RunCgroup& operator=(RunCgroup&& other) noexcept;
    RunCgroup(const RunCgroup&) = delete;
    RunCgroup& operator=(const RunCgroup&) = delete;
    ~RunCgroup();  // best-effort remove()

    // The cgroup.procs files the child writes "0" into, first thing.
    [[nodiscard]] const std::vector<std::string>& procs_files() const { return procs_files_; }
    // The run's directory in the unified (v2) hierarchy, "" without one: a
    // child can be created there directly (clone3 CLONE_INTO_CGROUP)
    // instead of writing its cgroup.procs, which costs an RCU grace period.
    [[nodiscard]] const std::string& unified_dir() const { return unified_dir_; }
    // That directory, held open (-1 without one): clone3 takes an fd, and
    // opening the path for every run cost a path walk through cgroupfs.
    [[nodiscard]] int unified_fd() const { return unified_fd_.get(); }
    // True when no process is left in the run's tree (the tracking hierarchy).
    // In v2 that is "populated 0", which also covers child cgroups a root
    // command made and moved processes into; v1 reads the cgroup.procs of
    // the cgroup and of its child cgroups.
    [[nodiscard]] bool empty() const;
    // Every process in the run's directories and their child cgroups, each
    // once (what an inspection can see; pids, sorted).
    [[nodiscard]] std::vector<pid_t> processes() const;
    [[nodiscard]] bool has_tracking() const { return !tracking_dir_.empty(); }
    [[nodiscard]] bool can_kill() const {
        return kill_file_available_ || !freezer_dir_.empty() || !unified_dir_.empty();
    }
    // SIGKILL every process of the tree, child cgroups included: cgroup.kill,
    // else v1 freeze-kill-thaw, else v2 freeze and kill each member.
    [[nodiscard]] Expected<void> kill_all();
    // The memory controller OOM-killed something in this run.
    [[nodiscard]] bool oom_killed() const;
    // rmdir every directory; false while some are still busy.
    bool remove();

    [[nodiscard]] const std::string& tracking_dir() const { return tracking_dir_; }
    // Can host another run as it is, which spares the runner a mkdir and an
    // rmdir per command: no limits were written (tracking and kill only), it
    // lives in the v2 hierarchy only, and it is now empty and not frozen.
    [[nodiscard]] bool ready_for_reuse() const;

  private:
    std::vector<std::string> dirs_;         // every directory created (removed in reverse)
    std::vector<std::string> procs_files_;  // cgroup.procs of each
    std::string tracking_dir_;              // where emptiness is read
    std::string unified_dir_;
    std::string memory_dir_;
    bool memory_v2_ = false;
    std::string freezer_dir_;
    bool kill_file_available_ = false;
    bool has_limits_ = false;
    // Held open while the directories exist: cgroup.events is read twice
    // per run (tree gone, ready for reuse), and pread() at offset 0 makes
    // the kernel render it afresh without an open() and close() each time.
    UniqueFd unified_fd_;
    UniqueFd events_fd_;

    // cgroup.events of the unified directory; "" when it is gone (ENODEV
    // after an rmdir from outside), nullopt when it cannot be read.
    [[nodiscard]] std::optional<std::string> read_events() const;

    // The steps of create(), each making the run's directory in one
    // hierarchy (recorded in dirs_) and writing what that hierarchy carries.
    [[nodiscard]] Expected<std::string> add_dir(const std::string& own,
                                                const std::string& parent_name,
                                                const std::string& run_name);
    [[nodiscard]] Expected<void> join_v2(const CgroupSupport& support,
                                         const std::string& parent_name,
                                         const std::string& run_name, const CgroupLimits& limits,
                                         const std::set<std::string>& v2_wanted);
    [[nodiscard]] Expected<void> join_v1_pids(const std::string& own,
                                              const std::string& parent_name,
                                              const std::string& run_name, std::uint64_t pids_max);
    [[nodiscard]] Expected<void> join_v1_memory(const std::string& own,
                                                const std::string& parent_name,
                                                const std::string& run_name,
                                                std::uint64_t memory_max_bytes);
    [[nodiscard]] Expected<void> join_v1_freezer(const std::string& own,
                                                 const std::string& parent_name,
                                                 const std::string& run_name);
};

}  // namespace outpost::executors
