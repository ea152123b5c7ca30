// Launching a run: its cgroup, the fork, the watches on the child, its
// stdin, and the end of the child's set-up. See runner.cpp for the rest.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>

#include "agent/transport/event_loop.hpp"
#include "executors/runner/output_capture.hpp"
#include "executors/runner/runner.hpp"
#include "executors/runner/runner_run.hpp"
#include "executors/sandbox/child_setup.hpp"
#include "executors/sandbox/run_cgroup_names.hpp"

namespace outpost::executors {

using runner_detail::add_reason;
using runner_detail::Clock;
using runner_detail::kPollInterval;
using runner_detail::send_signal;
using transport::FdWatch;

// The child is created in the run's v2 cgroup (or joins it) and joins the
// v1 ones by writing (sandbox/child_setup.cpp).
void Runner::set_cgroup_plan(Run& run) {
    run.plan.unified_cgroup_dir = run.cgroup.unified_dir();
    run.plan.unified_cgroup_fd = run.cgroup.unified_fd();
    const std::string unified_procs = run.cgroup.unified_dir() + "/cgroup.procs";
    for (const auto& file : run.cgroup.procs_files())
        if (run.plan.unified_cgroup_dir.empty() || file != unified_procs)
            run.plan.cgroup_procs_files.push_back(file);
}

void Runner::launch(std::unique_ptr<Run> owned) {
    Run& run = *owned;
    run.result.started_at = std::chrono::system_clock::now();
    run.started = Clock::now();

    if (!place_in_cgroup(owned)) return;  // refused, and reported

    // Returns at once: a forked child's set-up (namespaces, mounts,
    // seccomp, ...) runs while the loop services everything else; a child
    // that borrowed our memory has exec'd already (fork_child).
    auto child = fork_child(run.plan);
    if (!child) {
        finish_without_process(std::move(owned), RunState::failed,
                               "starting the process: " + child.error().message());
        return;
    }
    run.child = std::move(*child);
    run.starting = true;
    Run* r = &run;
    active_.emplace(run.id, std::move(owned));

    watch_child(run);

    if (run.child.stdin_fd.valid()) {
        // Make the pipe big enough for all of stdin where the kernel allows,
        // so one write usually does.
        const auto size = std::min<std::size_t>(run.spec.stdin_data.size(), 1 << 20);
        ::fcntl(run.child.stdin_fd.get(), F_SETPIPE_SZ, static_cast<int>(size));
        write_stdin(run);
    }
    run.deadline.schedule(run.spec.timeout, [this, r] { on_timeout(*r); });
    check_done(run);  // a pidfd that is already readable is reported by the watch
}

// The run's cgroup is a spare, a new one or (where none is required) none.
// False when the run was refused for want of one: it is reported already.
bool Runner::place_in_cgroup(std::unique_ptr<Run>& owned) {
    Run& run = *owned;
    // The run's cgroup: limits where the controllers exist (missing ones are
    // already in the degraded list or the run was refused), plus tracking
    // and kill in the unified hierarchy.
    const CgroupSupport& cgs = caps_.cgroups;
    CgroupLimits limits = run.spec.profile.cgroup;
    if (!caps_.available(Protection::cgroup_pids)) limits.pids_max.reset();
    if (!caps_.available(Protection::cgroup_memory)) limits.memory_max_bytes.reset();
    const bool usable = cgs.v2_dir || (limits.pids_max && cgs.v1_pids_dir) ||
                        (limits.memory_max_bytes && cgs.v1_memory_dir) || cgs.v1_freezer_dir;
    const bool limit_free = !limits.pids_max && !limits.memory_max_bytes;
    // A spare is checked again: it sat idle, and anything may have happened.
    while (usable && limit_free && !spare_cgroups_.empty() &&
           !spare_cgroups_.back().ready_for_reuse()) {
        RunCgroup stale = std::move(spare_cgroups_.back());
        spare_cgroups_.pop_back();
        if (!stale.remove()) leftover_cgroups_.push_back(std::move(stale));
    }
    if (usable && limit_free && !spare_cgroups_.empty()) {
        run.cgroup = std::move(spare_cgroups_.back());
        spare_cgroups_.pop_back();
        set_cgroup_plan(run);
    } else if (usable) {
        // Numbered per process, not per Runner: a second Runner in the same
        // process must not meet the names of the first.
        static std::uint64_t cgroups_made = 0;
        auto cg =
            RunCgroup::create(cgs, options_.cgroup_parent, run_cgroup_name(++cgroups_made), limits);
        if (cg) {
            run.cgroup = std::move(*cg);
            set_cgroup_plan(run);
        } else {
            const auto& required = run.spec.profile.required;
            for (const Protection p :
                 {Protection::cgroup_pids, Protection::cgroup_memory, Protection::cgroup_kill}) {
                if (required.contains(p)) {
                    finish_without_process(std::move(owned), RunState::failed,
                                           "creating the run's cgroup: " + cg.error().message());
                    return false;
                }
            }
            run.result.degraded.push_back("cgroup: " + cg.error().message());
        }
    }
    return true;
}

// Watches the child's start pipe, its output and its exit; a child whose
// exit cannot be watched is killed at once.
void Runner::watch_child(Run& run) {
    Run* r = &run;
    // A child that borrowed our memory has exec'd or failed by now, so its
    // error pipe is usually at EOF already (the kernel may release us just
    // before it closes the close-on-exec end) and needs no watch; a forked
    // one is still setting itself up. Without a watch the records are still
    // read at the reap.
    on_start_readable(run);
    if (run.starting) {
        auto progressed = [this, r] { on_start_readable(*r); };
        if (auto watch = FdWatch::create(loop_, run.child.start_fd.get(), progressed, progressed))
            run.start_watch = std::move(*watch);
    }

    auto watch_output = [this, r](OutputCapture& capture, const UniqueFd& fd,
                                  std::unique_ptr<FdWatch>& slot) {
        auto drain = [&capture, &fd, &slot] {
            const auto status = capture.read_from(fd.get());
            if (status != OutputCapture::ReadStatus::again &&
                status != OutputCapture::ReadStatus::more) {
                slot.reset();
            }
        };
        auto watch = FdWatch::create(loop_, fd.get(), drain, drain);
        if (watch)
            slot = std::move(*watch);
        else
            add_reason(r->result, "watching output: " + watch.error().message());
    };
    watch_output(run.out, run.child.stdout_fd, run.out_watch);
    watch_output(run.err, run.child.stderr_fd, run.err_watch);

    auto exited = [this, r] { on_exit_readable(*r); };
    auto watch = FdWatch::create(loop_, run.child.pidfd.get(), exited, exited);
    if (watch) {
        run.exit_watch = std::move(*watch);
    } else {
        // Cannot learn about the exit: kill it now and poll for the reap.
        add_reason(run.result, "watching the process: " + watch.error().message());
        terminate(run, RunState::failed);
        poll_for_reap(run);
    }
}

void Runner::write_stdin(Run& run) {
    const std::string& data = run.spec.stdin_data;
    while (run.stdin_offset < data.size()) {
        const ssize_t n = ::write(run.child.stdin_fd.get(), data.data() + run.stdin_offset,
                                  data.size() - run.stdin_offset);
        if (n > 0) {
            run.stdin_offset += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // FdWatch only reports readability: retry on a short timer.
            Run* r = &run;
            run.stdin_retry.schedule(kPollInterval, [this, r] { write_stdin(*r); });
            return;
        }
        break;  // EPIPE: the child closed stdin; the rest is not wanted
    }
    run.child.stdin_fd.reset();  // EOF for the child
}

void Runner::on_start_readable(Run& run) {
    if (!run.starting) return;
    const bool knew_init = run.child.ns_init_pidfd.valid();
    const bool over = run.start.read(run.child);
    // The namespace's init became known after the SIGKILL went out.
    if (run.hard_killed && !knew_init && run.child.ns_init_pidfd.valid())
        send_signal(run.child.ns_init_pidfd.get(), SIGKILL);
    if (over) end_start(run);
}

void Runner::end_start(Run& run) {
    run.starting = false;
    run.start_watch.reset();
    run.child.start_fd.reset();
}

}  // namespace outpost::executors
