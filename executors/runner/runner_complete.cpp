// Completing a run: the reap, the wait for its process tree, its result,
// the reuse or removal of its cgroup, and the asynchronous delivery. See
// runner.cpp for the rest.
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "agent/transport/timer.hpp"
#include "executors/runner/output_capture.hpp"
#include "executors/runner/runner.hpp"
#include "executors/runner/runner_run.hpp"

namespace outpost::executors {

using runner_detail::add_reason;
using runner_detail::Clock;
using runner_detail::kPidfdIdType;
using runner_detail::kPollInterval;

namespace {

// A command running as root (or as the agent's own user, who owns the run
// cgroups when the agent is not root), or one that could gain privileges
// through a set-uid program, can write its own cgroup's files: limits,
// cgroup.type, subtree_control, child cgroups, file modes. Such a cgroup is
// never handed to the next command.
bool may_have_changed_its_cgroup(const ChildPlan& plan) {
    return !plan.uid || *plan.uid == 0 || *plan.uid == ::geteuid() || !plan.no_new_privs;
}

std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

// Reads what the pipes still hold and closes them. Returns the names of the
// streams that were still being written to when the budget ran out.
std::vector<std::string> take_last_output(Runner::Run& run) {
    // Bounded: a survivor of the tree kill may still be writing. What a
    // pipe holds is at most pipe-max-size (1 MiB by default).
    constexpr std::size_t kLastRead = 4 << 20;
    std::vector<std::string> unread;
    for (auto [capture, fd, name] : {std::tuple{&run.out, run.child.stdout_fd.get(), "stdout"},
                                     std::tuple{&run.err, run.child.stderr_fd.get(), "stderr"}}) {
        // `more` and then EOF at once: exactly the budget was left, all read.
        if (capture->read_from(fd, kLastRead) == OutputCapture::ReadStatus::more &&
            capture->read_from(fd, 1) != OutputCapture::ReadStatus::eof) {
            capture->note_unread();
            unread.push_back(name);
        }
    }
    run.child.stdout_fd.reset();
    run.child.stderr_fd.reset();
    run.child.stdin_fd.reset();
    return unread;
}

// The run's state, exit code or signal, reasons and output, from how it
// ended.
void settle_result(Runner::Run& run, const std::vector<std::string>& unread) {
    RunResult& res = run.result;
    const siginfo_t& info = run.exit_info;
    const std::optional<std::string>& exec_error = run.start.error();
    bool exited_zero = false;
    if (exec_error) {
        // A set-up step failed: the 127 it exited with is not the command's.
    } else if (info.si_code == CLD_EXITED) {
        res.exit_code = info.si_status;
        exited_zero = info.si_status == 0;
    } else if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
        res.signal = signal_name(info.si_status);
    }
    if (run.forced_state) {
        res.state = *run.forced_state;
        if (res.state == RunState::timed_out)
            add_reason(res, fmt::format("timed out after {} ms", run.spec.timeout.count()));
        else if (res.state == RunState::cancelled)
            add_reason(res, "cancelled");
        if (exec_error) add_reason(res, "exec failed: " + *exec_error);
    } else if (exec_error) {
        res.state = RunState::failed;
        res.exec_failed = true;
        add_reason(res, "exec failed: " + *exec_error);
    } else {
        res.state = exited_zero ? RunState::succeeded : RunState::failed;
    }
    if (run.cgroup.oom_killed()) {
        add_reason(res, "memory limit exceeded");
        if (res.state == RunState::succeeded) res.state = RunState::failed;
    }
    if (res.signal == "SIGXCPU") add_reason(res, "CPU time limit exceeded");
    if (res.signal == "SIGXFSZ") add_reason(res, "file size limit exceeded");
    res.stdout_truncated = run.out.truncated();
    res.stderr_truncated = run.err.truncated();
    res.stdout_dropped_bytes = run.out.dropped();
    res.stderr_dropped_bytes = run.err.dropped();
    res.stdout_data = run.out.take();
    res.stderr_data = run.err.take();
    // After the state's reasons: an exec failure is recognised by its reason.
    for (const std::string& name : unread) {
        add_reason(res,
                   fmt::format("{}: output still arriving after the run ended was not read", name));
    }
}

}  // namespace

void Runner::on_exit_readable(Run& run) {
    if (run.reaped) return;
    siginfo_t info{};
    const long rc = ::syscall(SYS_waitid, kPidfdIdType, run.child.pidfd.get(), &info,
                              WEXITED | WNOHANG, nullptr);
    if ((rc != 0 && errno != ECHILD) || (rc == 0 && info.si_pid == 0)) {
        // Exited (the pidfd is readable) yet not ours to reap: a tracer
        // (ptrace) sees the exit first and holds it as long as it likes. The
        // level-triggered watch would wake the loop again at once for all
        // that time, so the reap is polled on a timer instead.
        run.exit_watch.reset();
        poll_for_reap(run);
        return;
    }
    run.reaped = true;
    run.reap_poll.cancel();
    if (run.starting) {
        // Exited during set-up: whatever it (and, in a PID namespace, P1 and
        // P2 before it) reported is in the pipe now. P1 may be reaped and its
        // pid reused, so no pidfd is opened for it any more.
        (void)run.start.read(run.child, false);
        end_start(run);
    }
    run.exit_info = info;
    run.exit_watch.reset();
    run.grace.cancel();
    check_done(run);
}

void Runner::poll_for_reap(Run& run) {
    Run* r = &run;
    run.reap_poll.schedule(kPollInterval, [this, r] { on_exit_readable(*r); });
}

void Runner::check_done(Run& run) {
    if (run.completed || !run.reaped) return;
    if (tree_gone(run)) {
        complete(run);
        return;
    }
    // The main process is gone; whatever it left behind is killed.
    if (run.hard_killed && Clock::now() - run.hard_kill_at > options_.tree_kill_limit) {
        add_reason(run.result, "some processes of the run survived SIGKILL");
        complete(run);
        return;
    }
    hard_kill(run);
    Run* r = &run;
    run.poll.schedule(kPollInterval, [this, r] { check_done(*r); });
}

void Runner::complete(Run& run) {
    run.completed = true;
    run.deadline.cancel();
    run.grace.cancel();
    run.poll.cancel();
    run.reap_poll.cancel();
    run.stdin_retry.cancel();
    // Every writer is gone (or given up on): take what is left, then close.
    run.out_watch.reset();
    run.err_watch.reset();
    run.exit_watch.reset();
    end_start(run);
    const std::vector<std::string> unread = take_last_output(run);
    settle_result(run, unread);
    release_cgroup(run);

    auto it = active_.find(run.id);
    std::unique_ptr<Run> owned = std::move(it->second);
    active_.erase(it);
    deliver(std::move(owned));
}

// Keeps the run's cgroup as a spare for the next run where that is safe;
// removes it otherwise (or retries later).
void Runner::release_cgroup(Run& run) {
    // Not after a kill: a v1 freezer left FROZEN by a failed thaw would
    // stop the next run at its first instruction. Not after a command that
    // could write the cgroup's own files either (see may_have_changed_its_cgroup).
    if (!run.hard_killed && !may_have_changed_its_cgroup(run.plan) &&
        spare_cgroups_.size() < options_.max_concurrent && run.cgroup.ready_for_reuse()) {
        spare_cgroups_.push_back(std::move(run.cgroup));
    } else if (!run.cgroup.remove()) {
        leftover_cgroups_.push_back(std::move(run.cgroup));
    }
    std::erase_if(leftover_cgroups_, [](RunCgroup& cg) { return cg.remove(); });
}

void Runner::finish_without_process(std::unique_ptr<Run> run, RunState state, std::string reason) {
    run->completed = true;
    if (run->result.started_at == std::chrono::system_clock::time_point{}) {
        run->result.started_at = std::chrono::system_clock::now();
        run->started = Clock::now();
    }
    run->result.state = state;
    add_reason(run->result, reason);
    run->cgroup.remove();
    deliver(std::move(run));
}

void Runner::deliver(std::unique_ptr<Run> run) {
    run->result.finished_at = std::chrono::system_clock::now();
    run->result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run->started);
    finishing_.push_back(std::move(run));
    // Asynchronous, so a callback never runs inside start()/cancel() or
    // inside a callback of the run it reports.
    delivery_timer_->schedule(std::chrono::microseconds(0), [this] {
        auto batch = std::move(finishing_);
        finishing_.clear();
        for (auto& done : batch) {
            RunResult result = std::move(done->result);
            DoneCallback callback = std::move(done->on_done);
            done.reset();
            if (callback) callback(std::move(result));
        }
    });
}

}  // namespace outpost::executors
