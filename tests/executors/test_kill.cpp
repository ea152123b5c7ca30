// Timeouts and tree kills: nothing of a run may survive it.

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;
using namespace std::chrono_literals;

namespace {

// A unique sleep duration: lets us find the daemon by its command line from
// outside any PID namespace.
std::string marker() {
    static int n = 0;
    return "9" + std::to_string(::getpid() % 10000) + "." + std::to_string(++n) + "1";
}

// A host without cgroups: every cgroup protection missing.
Capabilities without_cgroups() {
    Capabilities caps = probed();
    caps.cgroups = CgroupSupport{};
    for (Protection p :
         {Protection::cgroup_pids, Protection::cgroup_memory, Protection::cgroup_kill})
        caps.set(p, false, "simulated: no cgroups");
    return caps;
}

// cgroup v2 before 5.14: no cgroup.kill, and no v1 freezer either.
Capabilities v2_without_kill() {
    Capabilities caps = probed();
    caps.cgroups.v2_kill = false;
    caps.cgroups.v1_freezer_dir.reset();
    caps.set(Protection::cgroup_kill, false, "simulated: cgroup v2 before 5.14");
    return caps;
}

SandboxProfile no_limits(SandboxProfile p) {
    p.cgroup = CgroupLimits{};
    return p;
}

// A host with v1 cgroups but no cgroup.kill: the freezer does the tree kill.
Capabilities freezer_only() {
    Capabilities caps = probed();
    caps.cgroups.v2_kill = false;
    caps.set(Protection::cgroup_kill, false, "simulated: no cgroup.kill");
    return caps;
}

}  // namespace

TEST_CASE("timeout kills a setsid double-forked grandchild", "[kill]") {
    enum class Host { full, freezer, v2_without_kill, no_cgroups };
    struct Variant {
        const char* name;
        bool pid_ns;
        Host host;
    };
    for (const Variant v :
         {Variant{"cgroup.kill, no pid namespace", false, Host::full},
          Variant{"cgroup.kill and pid namespace", true, Host::full},
          Variant{"v1 freezer, no pid namespace", false, Host::freezer},
          Variant{"v2 before cgroup.kill, no pid namespace", false, Host::v2_without_kill},
          Variant{"pid namespace init only", true, Host::no_cgroups}}) {
        DYNAMIC_SECTION(v.name) {
            if (v.host == Host::full && !probed().available(Protection::cgroup_kill))
                OUTPOST_SKIP("no cgroup.kill here");
            if (v.host == Host::freezer && !probed().cgroups.v1_freezer_dir)
                OUTPOST_SKIP("no v1 freezer here");
            if (v.host == Host::v2_without_kill && !probed().cgroups.v2_dir)
                OUTPOST_SKIP("no cgroup v2 here");
            Harness h(v.host == Host::full              ? probed()
                      : v.host == Host::freezer         ? freezer_only()
                      : v.host == Host::v2_without_kill ? v2_without_kill()
                                                        : without_cgroups());
            auto profile = v.host == Host::no_cgroups ? no_limits(full_profile()) : full_profile();
            profile.own_pid_namespace = v.pid_ns;
            const std::string m = marker();
            auto s =
                spec("/bin/sh", {"-c", "setsid /bin/sleep " + m + " & /bin/sleep 1000"}, profile);
            s.timeout = 700ms;
            auto r = h.run(std::move(s));
            CHECK(r.state == RunState::timed_out);
            CHECK(r.reason.value_or("").find("timed out after 700 ms") != std::string::npos);
            CHECK(processes_with("sleep " + m).empty());
        }
    }
}

TEST_CASE("a main process that exits takes its leftovers with it", "[kill]") {
    Harness h;
    auto profile = full_profile();
    profile.own_pid_namespace = false;  // the cgroup has to do it
    const std::string m = marker();
    auto r = h.run(spec("/bin/sh", {"-c", "setsid /bin/sleep " + m + " & exit 0"}, profile));
    CHECK(r.state == RunState::succeeded);
    CHECK(r.duration < 10s);
    CHECK(processes_with("sleep " + m).empty());
}

// cgroup.procs of a run's cgroup lists only its own members; a root command
// can make a child cgroup and move a process there. The tree is only gone
// when no cgroup below the run's holds a process, and the kill reaches them.
TEST_CASE("a process moved into a child cgroup is still part of the run's tree", "[kill]") {
    if (::geteuid() != 0) OUTPOST_SKIP("needs root to make cgroups");
    struct Variant {
        const char* name;
        Capabilities caps;
        // Where the script moves the process: a line of /proc/self/mountinfo
        // and the prefix of the hierarchy's line in /proc/self/cgroup.
        const char* mount_pattern;
        const char* cgroup_prefix;
        bool available;
    };
    Capabilities v1_only = freezer_only();
    v1_only.cgroups.v2_dir.reset();
    const bool v2 = probed().cgroups.v2_dir.has_value();
    const bool freezer = probed().cgroups.v1_freezer_dir.has_value();
    for (const Variant& v : {
             Variant{"v2, cgroup.kill", probed(), " - cgroup2 ",
                     "0::", probed().available(Protection::cgroup_kill)},
             Variant{"v2 without cgroup.kill: freeze and kill each", v2_without_kill(),
                     " - cgroup2 ", "0::", v2},
             Variant{"v1 freezer, moved in the freezer hierarchy", freezer_only(),
                     " - cgroup .*freezer", "[0-9]*:freezer:", freezer},
             Variant{"v1 only (tracking in v1)", v1_only, " - cgroup .*freezer",
                     "[0-9]*:freezer:", freezer},
         }) {
        DYNAMIC_SECTION(v.name) {
            if (!v.available) OUTPOST_SKIP("hierarchy missing here");
            Harness h(v.caps);
            const std::string m = marker();
            const std::string script =
                "cg=$(/bin/sed -n \"s/^$2//p\" /proc/self/cgroup); "
                "d=$(/bin/grep -m1 -- \"$1\" /proc/self/mountinfo | /usr/bin/cut -d' ' "
                "-f5)$cg/moved; "
                "/bin/mkdir \"$d\" || exit 1; /usr/bin/setsid /bin/sleep " +
                m +
                " & "
                "echo $! > \"$d/cgroup.procs\" && echo moved; exit 0";
            auto r = h.run(spec("/bin/sh", {"-c", script, "sh", v.mount_pattern, v.cgroup_prefix},
                                bare_profile()));
            CHECK(r.stdout_data == "moved\n");
            CHECK(r.stderr_data.empty());
            CHECK(r.state == RunState::succeeded);
            CHECK_FALSE(r.reason.has_value());
            CHECK(processes_with("sleep " + m).empty());
            // A setsid'd process in a child cgroup: nothing but the cgroups
            // can find it.
            // The child cgroup goes with the run's: nothing is left under
            // the agent's parents once the runner is gone.
            h.runner.reset();
            bool left = false;
            for (const auto& own : {probed().cgroups.v2_dir, probed().cgroups.v1_freezer_dir}) {
                if (!own) continue;
                std::error_code ec;
                const std::string parent = *own + "/" + Runner::Options{}.cgroup_parent;
                for (const auto& e : std::filesystem::recursive_directory_iterator(parent, ec))
                    left = left || e.path().filename() == "moved";
            }
            CHECK_FALSE(left);
        }
    }
}

// A main process that a tracer holds as a zombie makes its pidfd readable
// without being reapable; the runner must not spin on it.
TEST_CASE("a traced main process: the loop waits for the reap without spinning", "[kill]") {
    if (::geteuid() != 0) OUTPOST_SKIP("ptrace of the parent needs root where Yama is on");
    Harness h;
    const std::string script =
        "import ctypes, os, time\n"
        "parent = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    if ctypes.CDLL(None).ptrace(0x4206, parent, 0, 0) != 0: os._exit(3)\n"  // SEIZE
        "    print('traced', flush=True)\n"
        "    time.sleep(600)\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n";
    auto s = spec("/usr/bin/python3", {"-c", script}, bare_profile());
    s.timeout = 1500ms;
    rusage before{}, after{};
    ::getrusage(RUSAGE_THREAD, &before);
    const auto started = std::chrono::steady_clock::now();
    auto r = h.run(std::move(s));
    const auto wall = std::chrono::steady_clock::now() - started;
    ::getrusage(RUSAGE_THREAD, &after);
    const auto cpu_of = [](const rusage& u) {
        return std::chrono::seconds(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               std::chrono::microseconds(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    };
    const auto cpu = cpu_of(after) - cpu_of(before);
    CHECK(r.stdout_data == "traced\n");
    // The main process exited 0 after 0.3 s, but its exit is only ours once
    // the tracer is gone: at the timeout.
    CHECK(r.state == RunState::timed_out);
    INFO("loop thread CPU " << std::chrono::duration<double>(cpu).count() << " s of "
                            << std::chrono::duration<double>(wall).count() << " s");
    CHECK(cpu < wall / 2);
}

TEST_CASE("a process ignoring SIGTERM is SIGKILLed after the grace period", "[kill]") {
    for (const bool pid_ns : {false, true}) {
        Harness h;
        auto profile = full_profile();
        profile.own_pid_namespace = pid_ns;
        auto s =
            spec("/bin/sh", {"-c", "trap '' TERM; while :; do /bin/sleep 0.05; done"}, profile);
        s.timeout = 300ms;
        s.kill_grace = 400ms;
        auto r = h.run(std::move(s));
        CHECK(r.state == RunState::timed_out);
        CHECK(r.signal == "SIGKILL");
        CHECK(r.duration >= 650ms);
    }
}

TEST_CASE("without cgroups or namespaces the process group and session are swept", "[kill]") {
    Harness h(without_cgroups());
    const std::string m = marker();
    auto s = spec("/bin/sh", {"-c", "/bin/sleep " + m + " & /bin/sleep 1000"}, bare_profile());
    s.timeout = 300ms;
    auto r = h.run(std::move(s));
    CHECK(r.state == RunState::timed_out);
    CHECK(processes_with("sleep " + m).empty());
    bool listed = false;
    for (const auto& d : r.degraded) listed = listed || d.rfind("cgroup_kill", 0) == 0;
    CHECK(listed);
}

TEST_CASE("yes is capped at max_output_bytes and keeps running until the timeout", "[kill]") {
    Harness h;
    auto s = spec("/usr/bin/yes", {});
    s.max_output_bytes = 1000;
    s.timeout = 1s;
    auto r = h.run(std::move(s));
    CHECK(r.state == RunState::timed_out);
    CHECK(r.stdout_data.size() == 1000);
    CHECK(r.stdout_truncated);
    CHECK(r.stdout_dropped_bytes > 100000);
    CHECK(r.duration >= 1s);
    CHECK(r.signal == "SIGTERM");
}

TEST_CASE("eight writers that refill the pipe faster than it drains: the timeout still fires",
          "[kill]") {
    Harness h;
    auto s = spec("/bin/sh", {"-c", "for i in 1 2 3 4 5 6 7 8; do /usr/bin/yes & done; wait"},
                  bare_profile());
    s.max_output_bytes = 1000;
    s.timeout = 1s;
    auto r = h.run(std::move(s), 20s);
    CHECK(r.state == RunState::timed_out);
    CHECK(r.stdout_data.size() == 1000);
    CHECK(r.stdout_truncated);
}

TEST_CASE("200 KB to stderr before stdout does not deadlock", "[kill]") {
    Harness h;
    auto s = spec("/bin/sh", {"-c", "/usr/bin/head -c 200000 /dev/zero >&2; echo done"});
    s.max_output_bytes = 1 << 20;
    auto r = h.run(std::move(s), 15s);
    CHECK(r.state == RunState::succeeded);
    CHECK(r.stderr_data.size() == 200000);
    CHECK(r.stdout_data == "done\n");
}
