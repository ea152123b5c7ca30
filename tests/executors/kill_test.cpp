// Timeouts and tree kills: nothing of a run may survive it.

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
    for (Protection p : {Protection::cgroup_pids, Protection::cgroup_memory, Protection::cgroup_kill})
        caps.set(p, false, "simulated: no cgroups");
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
    enum class Host { full, freezer, no_cgroups };
    struct Variant {
        const char* name;
        bool pid_ns;
        Host host;
    };
    for (const Variant v : {Variant{"cgroup.kill, no pid namespace", false, Host::full},
                            Variant{"cgroup.kill and pid namespace", true, Host::full},
                            Variant{"v1 freezer, no pid namespace", false, Host::freezer},
                            Variant{"pid namespace init only", true, Host::no_cgroups}}) {
        DYNAMIC_SECTION(v.name) {
            if (v.host == Host::full && !probed().available(Protection::cgroup_kill))
                OUTPOST_SKIP("no cgroup.kill here");
            if (v.host == Host::freezer && !probed().cgroups.v1_freezer_dir)
                OUTPOST_SKIP("no v1 freezer here");
            Harness h(v.host == Host::full      ? probed()
                      : v.host == Host::freezer ? freezer_only()
                                                : without_cgroups());
            auto profile = v.host == Host::no_cgroups ? no_limits(full_profile()) : full_profile();
            profile.own_pid_namespace = v.pid_ns;
            const std::string m = marker();
            auto s = spec("/bin/sh", {"-c", "setsid /bin/sleep " + m + " & /bin/sleep 1000"}, profile);
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

// cgroup.procs of the run's cgroup lists only its own members; a root
// command can make a child cgroup and move a process there. The tree is
// only gone when the run's cgroup reports "populated 0".
TEST_CASE("a process moved into a child cgroup is still part of the run's tree", "[kill]") {
    if (::geteuid() != 0) OUTPOST_SKIP("needs root to make cgroups");
    if (!probed().available(Protection::cgroup_kill)) OUTPOST_SKIP("no cgroup.kill here");
    Harness h;
    const std::string m = marker();
    // The run's own cgroup is the "0::" line of /proc/self/cgroup, under
    // the unified mount, which is where cgroup.events lives.
    const std::string script =
        "cg=$(/bin/sed -n 's/^0:://p' /proc/self/cgroup); "
        "d=$(/bin/grep -m1 ' - cgroup2 ' /proc/self/mountinfo | /usr/bin/cut -d' ' -f5)$cg/moved; "
        "/bin/mkdir \"$d\" || exit 1; /bin/sleep " + m + " & "
        "echo $! > \"$d/cgroup.procs\" && echo moved; exit 0";
    auto r = h.run(spec("/bin/sh", {"-c", script}, bare_profile()));
    CHECK(r.stdout_data == "moved\n");
    CHECK(r.stderr_data.empty());
    CHECK(r.state == RunState::succeeded);
    CHECK(processes_with("sleep " + m).empty());
    // The child cgroup goes with the run's: nothing is left under the
    // agent's parent once the runner is gone.
    const std::string parent = *probed().cgroups.v2_dir + "/" + Runner::Options{}.cgroup_parent;
    h.runner.reset();
    std::error_code ec;
    bool left = false;
    for (const auto& e : std::filesystem::recursive_directory_iterator(parent, ec))
        left = left || e.path().filename() == "moved";
    CHECK_FALSE(left);
}

TEST_CASE("a process ignoring SIGTERM is SIGKILLed after the grace period", "[kill]") {
    for (const bool pid_ns : {false, true}) {
        Harness h;
        auto profile = full_profile();
        profile.own_pid_namespace = pid_ns;
        auto s = spec("/bin/sh", {"-c", "trap '' TERM; while :; do /bin/sleep 0.05; done"}, profile);
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

TEST_CASE("200 KB to stderr before stdout does not deadlock", "[kill]") {
    Harness h;
    auto s = spec("/bin/sh", {"-c", "/usr/bin/head -c 200000 /dev/zero >&2; echo done"});
    s.max_output_bytes = 1 << 20;
    auto r = h.run(std::move(s), 15s);
    CHECK(r.state == RunState::succeeded);
    CHECK(r.stderr_data.size() == 200000);
    CHECK(r.stdout_data == "done\n");
}
