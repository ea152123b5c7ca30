// The Runner's life and its ways of ending a run: construction and the
// final sweep, start (checks and the sandbox plan), timeout, cancel and the
// kills. Launching a run is in runner_launch.cpp, its completion in
// runner_complete.cpp; their shared state is Runner::Run (runner_run.hpp).
#include "executors/runner/runner.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"
#include "executors/runner/environment.hpp"
#include "executors/runner/process_tree.hpp"
#include "executors/runner/runner_run.hpp"
#include "executors/sandbox/child_setup.hpp"

namespace outpost::executors {

using runner_detail::add_reason;
using runner_detail::Clock;
using runner_detail::kPidfdIdType;
using runner_detail::kPollInterval;
using runner_detail::send_signal;

std::string_view run_state_name(RunState state) {
    switch (state) {
        case RunState::succeeded:
            return "succeeded";
        case RunState::failed:
            return "failed";
        case RunState::timed_out:
            return "timed_out";
        case RunState::cancelled:
            return "cancelled";
    }
    return "failed";
}

Runner::Runner(transport::EventLoop& loop) : Runner(loop, probe_capabilities(), Options{}) {}

Runner::Runner(transport::EventLoop& loop, Capabilities caps, Options options)
    : loop_(loop),
      caps_(std::move(caps)),
      options_(std::move(options)),
      delivery_timer_(std::make_unique<transport::Timer>(loop)) {
    if (options_.max_concurrent == 0) options_.max_concurrent = 1;
    RunCgroup::sweep_stale(caps_.cgroups, options_.cgroup_parent);
}

Runner::~Runner() {
    for (auto& [id, run] : active_) {
        hard_kill(*run);
        if (!run->reaped && run->child.pidfd.valid()) {
            siginfo_t info{};
            while (::syscall(SYS_waitid, kPidfdIdType, run->child.pidfd.get(), &info, WEXITED,
                             nullptr) != 0 &&
                   errno == EINTR) {
            }
            run->reaped = true;
        }
        const auto until = Clock::now() + options_.tree_kill_limit;
        while (!tree_gone(*run) && Clock::now() < until) {
            hard_kill(*run);
            std::this_thread::sleep_for(kPollInterval);
        }
        run->cgroup.remove();
    }
    active_.clear();
    finishing_.clear();
    for (auto& cg : leftover_cgroups_) cg.remove();
    for (auto& cg : spare_cgroups_) cg.remove();
}

std::size_t Runner::running() const {
    return active_.size();
}

Expected<RunHandle> Runner::start(RunSpec spec, DoneCallback on_done) {
    // The caller queues what waits for a slot (the dispatcher's RunSlots,
    // with its journal state `queued`): one queue, not two.
    if (active_.size() >= options_.max_concurrent) {
        return fail(ErrorKind::unavailable,
                    fmt::format("all {} run slots are taken", options_.max_concurrent));
    }
    if (spec.path.empty() || spec.path.front() != '/')
        return fail("program path must be absolute: '" + spec.path + "'");
    if (spec.argv.empty()) spec.argv.push_back(spec.path);
    if (spec.timeout.count() <= 0) return fail("timeout must be positive");
    if (!caps_.pidfd) return fail("pidfd_open is unavailable (kernel older than 5.4)");
    auto degraded = assess_profile(spec.profile, caps_);
    if (!degraded) return std::unexpected(degraded.error());
    std::string home = spec.home.value_or("");
    auto plan = plan_sandbox(spec.profile, caps_, spec.home ? nullptr : &home);
    if (!plan) return std::unexpected(plan.error().context("planning the sandbox"));

    plan->path = spec.path;
    plan->argv = spec.argv;
    const bool changes_ids =
        (plan->uid && *plan->uid != ::geteuid()) || (plan->gid && *plan->gid != ::getegid());
    if (options_.exec_helper && changes_ids) plan->exec_helper = options_.exec_helper();
    plan->env = build_environment(spec.env, home);
    plan->working_dir = spec.working_dir.empty() ? "/" : spec.working_dir;
    plan->stdin_pipe = !spec.stdin_data.empty();

    const std::uint64_t id = next_id_++;
    auto run = std::make_unique<Run>(loop_, id, std::move(spec), std::move(on_done));
    run->plan = std::move(*plan);
    run->result.degraded = std::move(*degraded);
    launch(std::move(run));
    return RunHandle{id};
}

void Runner::on_timeout(Run& run) {
    terminate(run, RunState::timed_out);
}

void Runner::terminate(Run& run, RunState state) {
    if (run.forced_state || run.completed) return;
    run.forced_state = state;
    run.deadline.cancel();
    if (run.reaped) {
        check_done(run);
        return;
    }
    // The group first (it is the session we created), then the main process
    // by its pidfd, which cannot name a recycled pid.
    ::kill(-run.child.pid, SIGTERM);
    send_signal(run.child.pidfd.get(), SIGTERM);
    Run* r = &run;
    run.grace.schedule(run.spec.kill_grace, [this, r] {
        hard_kill(*r);
        check_done(*r);
    });
}

void Runner::hard_kill(Run& run) {
    if (!run.hard_killed) {
        run.hard_killed = true;
        run.hard_kill_at = Clock::now();
    }
    if (run.cgroup.can_kill()) {
        if (auto killed = run.cgroup.kill_all(); !killed && !run.result.reason)
            add_reason(run.result, "cgroup kill: " + killed.error().message());
    }
    if (run.child.ns_init_pidfd.valid()) send_signal(run.child.ns_init_pidfd.get(), SIGKILL);
    if (!run.reaped && run.child.pidfd.valid()) send_signal(run.child.pidfd.get(), SIGKILL);
    // The pid stays reserved while it names a live process group.
    if (run.child.pid > 0) ::kill(-run.child.pid, SIGKILL);
    if (!run.cgroup.has_tracking() && !run.plan.pid_ns && run.child.pid > 0)
        kill_session(run.child.pid);
}

bool Runner::tree_gone(const Run& run) const {
    if (run.cgroup.has_tracking()) return run.cgroup.empty();
    if (run.child.ns_init_pidfd.valid()) {
        pollfd p{run.child.ns_init_pidfd.get(), POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }
    // The main process (P0) only exits after the namespace's init is reaped.
    if (run.plan.pid_ns) return true;
    return !session_alive(run.child.pid);
}

Expected<void> Runner::cancel(RunHandle handle) {
    auto it = active_.find(handle.id);
    if (it == active_.end() || it->second->completed) return fail("unknown or finished run");
    terminate(*it->second, RunState::cancelled);
    return {};
}

}  // namespace outpost::executors
