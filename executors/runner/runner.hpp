#pragma once
// Runs sandboxed commands on the agent's event loop.
//
// A run: assess the profile against the probed capabilities (refuse if a
// required protection is missing) → create the run's cgroup → fork the child
// (sandbox/child_setup), which sets itself up while the loop goes on: its
// error pipe is watched for EOF (execve happened) or a failed step → drain stdout/stderr together
// through FdWatch, feed stdin without blocking, watch the pidfd for exit → on timeout or cancel:
// SIGTERM to the process group and the main process, a grace period, then SIGKILL of the whole tree
// by the best means available → finished when the main process is reaped AND its tree is gone
// (processes left behind by a main process that exited are killed then) → drain the pipes, remove
// the cgroup, report.
//
// Errors: start() returns an error only for a run that is refused before
// anything is forked (invalid spec, required protection missing, sandbox
// cannot be planned, all max_concurrent slots taken: the runner does not
// queue, its caller does). Everything that happens later — including an exec
// failure reported by the child ("exec failed: execve: No such file or
// directory") — is a RunResult with state `failed`, a `reason` and, for an
// exec failure, `exec_failed` set, delivered through on_done. on_done is never called from inside
// start() or cancel().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
#include "executors/runner/run_spec.hpp"
#include "executors/sandbox/cgroup.hpp"
#include "executors/sandbox/probe.hpp"

namespace outpost::transport {
class EventLoop;
class Timer;
}  // namespace outpost::transport

namespace outpost::executors {

struct RunHandle {
    std::uint64_t id = 0;
    friend bool operator==(RunHandle, RunHandle) = default;
    friend auto operator<=>(RunHandle, RunHandle) = default;
};

class Runner {
  public:
    struct Options {
        std::size_t max_concurrent = 4;  // a start beyond it is refused (unavailable)
        // The agent-owned cgroup directory under the agent's own cgroup.
        std::string cgroup_parent = "outpost";
        // After the SIGKILL, how long to wait for the tree to disappear before
        // reporting the run anyway (a process stuck in the kernel).
        std::chrono::milliseconds tree_kill_limit{5000};
        // outpost-exec-as for one run that changes uid, asked per run so the
        // caller can check the file again (trusted location, root-owned,
        // still the file it probed): such runs then start without forking
        // the agent (docs/sandbox.md). Unset, or an empty answer: they fork.
        std::function<std::string()> exec_helper = {};
    };
    using DoneCallback = std::function<void(RunResult)>;

    // Probes the kernel itself.
    explicit Runner(transport::EventLoop& loop);
    Runner(transport::EventLoop& loop, Capabilities caps, Options options);
    // SIGKILLs and reaps everything still running (synchronously); those runs
    // are not reported.
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    [[nodiscard]] Expected<RunHandle> start(RunSpec spec, DoneCallback on_done);
    // A running command: SIGTERM, grace, SIGKILL, state `cancelled`. Unknown
    // or finished → error.
    [[nodiscard]] Expected<void> cancel(RunHandle handle);

    [[nodiscard]] std::size_t running() const;
    [[nodiscard]] const Capabilities& capabilities() const { return caps_; }

    struct Run;  // one run's state (runner_run.hpp)

  private:
    void launch(std::unique_ptr<Run> run);
    [[nodiscard]] bool place_in_cgroup(std::unique_ptr<Run>& owned);
    void set_cgroup_plan(Run& run);
    void watch_child(Run& run);
    void on_start_readable(Run& run);
    void end_start(Run& run);
    void on_exit_readable(Run& run);
    void poll_for_reap(Run& run);
    void on_timeout(Run& run);
    void terminate(Run& run, RunState state);
    void hard_kill(Run& run);
    void check_done(Run& run);
    [[nodiscard]] bool tree_gone(const Run& run) const;
    void write_stdin(Run& run);
    void complete(Run& run);
    void release_cgroup(Run& run);
    void finish_without_process(std::unique_ptr<Run> run, RunState state, std::string reason);
    void deliver(std::unique_ptr<Run> run);

    transport::EventLoop& loop_;
    Capabilities caps_;
    Options options_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Run>> active_;
    std::vector<std::unique_ptr<Run>> finishing_;  // results waiting for their async delivery
    std::vector<RunCgroup> leftover_cgroups_;      // rmdir retried later
    std::vector<RunCgroup> spare_cgroups_;         // empty, limit-free, reused
    std::unique_ptr<transport::Timer> delivery_timer_;
};

}  // namespace outpost::executors
