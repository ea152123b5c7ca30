#include "executors/runner/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"
#include "executors/runner/environment.hpp"
#include "executors/runner/output_capture.hpp"
#include "executors/runner/process_tree.hpp"
#include "executors/sandbox/child_setup.hpp"
#include "executors/sandbox/run_cgroup_names.hpp"

namespace outpost::executors {

using Clock = std::chrono::steady_clock;
using transport::FdWatch;
using transport::Timer;

namespace {

constexpr int kPidfdIdType = 3;  // P_PIDFD (5.4); glibc 2.36 has no name for it
constexpr auto kPollInterval = std::chrono::milliseconds(10);

// A command running as root (or as the agent's own user, who owns the run
// cgroups when the agent is not root), or one that could gain privileges
// through a set-uid program, can write its own cgroup's files: limits,
// cgroup.type, subtree_control, child cgroups, file modes. Such a cgroup is
// never handed to the next command.
bool may_have_changed_its_cgroup(const ChildPlan& plan) {
    return !plan.uid || *plan.uid == 0 || *plan.uid == ::geteuid() || !plan.no_new_privs;
}

int send_signal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

void add_reason(RunResult& result, const std::string& reason) {
    result.reason = result.reason ? *result.reason + "; " + reason : reason;
}

}  // namespace

std::string_view run_state_name(RunState state) {
    switch (state) {
        case RunState::succeeded: return "succeeded";
        case RunState::failed: return "failed";
        case RunState::timed_out: return "timed_out";
        case RunState::cancelled: return "cancelled";
    }
    return "failed";
}

struct Runner::Run {
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

Runner::Runner(transport::EventLoop& loop) : Runner(loop, probe_capabilities(), Options{}) {}

Runner::Runner(transport::EventLoop& loop, Capabilities caps, Options options)
    : loop_(loop),
      caps_(std::move(caps)),
      options_(std::move(options)),
      delivery_timer_(std::make_unique<Timer>(loop)) {
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

std::size_t Runner::running() const { return active_.size(); }

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
    const bool changes_ids = (plan->uid && *plan->uid != ::geteuid()) ||
                             (plan->gid && *plan->gid != ::getegid());
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
        auto cg = RunCgroup::create(cgs, options_.cgroup_parent,
                                    run_cgroup_name(++cgroups_made), limits);
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
                    return;
                }
            }
            run.result.degraded.push_back("cgroup: " + cg.error().message());
        }
    }

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
        if (watch) slot = std::move(*watch);
        else add_reason(r->result, "watching output: " + watch.error().message());
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

void Runner::on_timeout(Run& run) { terminate(run, RunState::timed_out); }

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
        add_reason(res, fmt::format("{}: output still arriving after the run ended was not read",
                                    name));
    }

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

    auto it = active_.find(run.id);
    std::unique_ptr<Run> owned = std::move(it->second);
    active_.erase(it);
    deliver(std::move(owned));
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

Expected<void> Runner::cancel(RunHandle handle) {
    auto it = active_.find(handle.id);
    if (it == active_.end() || it->second->completed) return fail("unknown or finished run");
    terminate(*it->second, RunState::cancelled);
    return {};
}

}  // namespace outpost::executors
