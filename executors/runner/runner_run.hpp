#pragma once

// One run's state, shared by the Runner's files: runner.cpp (start, cancel,
// kill), runner_launch.cpp (cgroup, fork, watches, stdin) and
// runner_complete.cpp (reap, result, cgroup reuse, delivery). Private to the
// runner: nothing outside executors/runner includes it.

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"
#include "executors/runner/output_capture.hpp"
#include "executors/runner/runner.hpp"
#include "executors/sandbox/child_setup.hpp"

namespace outpost::executors::runner_detail {

using Clock = std::chrono::steady_clock;

inline constexpr int kPidfdIdType = 3;  // P_PIDFD (5.4); glibc 2.36 has no name for it
inline constexpr auto kPollInterval = std::chrono::milliseconds(10);

inline int send_signal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline void add_reason(RunResult& result, const std::string& reason) {
    result.reason = result.reason ? *result.reason + "; " + reason : reason;
}

}  // namespace outpost::executors::runner_detail

namespace outpost::executors {

struct Runner::Run {
    using Clock = runner_detail::Clock;
    using FdWatch = transport::FdWatch;
    using Timer = transport::Timer;

    Run(transport::EventLoop& loop, std::uint64_t run_id, RunSpec run_spec, DoneCallback done)
        : id(run_id),
          spec(std::move(run_spec)),
          on_done(std::move(done)),
          out(spec.max_output_bytes),
          err(spec.max_output_bytes),
          deadline(loop),
          grace(loop),
          poll(loop),
          reap_poll(loop),
          stdin_retry(loop) {}

    std::uint64_t id;
    RunSpec spec;
    DoneCallback on_done;
    ChildPlan plan;
    RunResult result;
    Clock::time_point started{};
    std::optional<RunState> forced_state;  // timed_out / cancelled

    RunCgroup cgroup;
    SpawnedChild child;
    OutputCapture out;
    OutputCapture err;
    std::unique_ptr<FdWatch> out_watch;
    std::unique_ptr<FdWatch> err_watch;
    std::unique_ptr<FdWatch> exit_watch;
    // Until the child has exec'd (or its set-up failed): the error pipe.
    bool starting = false;
    StartReader start;
    std::unique_ptr<FdWatch> start_watch;
    Timer deadline;
    Timer grace;
    Timer poll;
    Timer reap_poll;  // when the pidfd cannot tell (see on_exit_readable)
    Timer stdin_retry;
    std::size_t stdin_offset = 0;

    bool reaped = false;
    siginfo_t exit_info{};
    bool hard_killed = false;
    Clock::time_point hard_kill_at{};
    bool completed = false;
};

}  // namespace outpost::executors
