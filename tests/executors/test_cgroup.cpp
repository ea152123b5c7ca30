// cgroup discovery from saved /proc files, and a real per-run cgroup.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    const std::string path = std::filesystem::temp_directory_path() /
                             ("outpost-cg-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("detect_cgroups: v1 controllers plus a unified mount (this CI's layout)", "[cgroup]") {
    const auto mountinfo = write_temp(
        "mountinfo",
        "30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "35 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 30 0:32 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "37 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
        "38 30 0:34 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "39 30 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
    const auto self = write_temp(
        "self", "8:pids:/\n6:freezer:/\n4:memory:/jobs/abc\n2:cpu,cpuacct:/\n0::/agent.slice\n");
    const CgroupSupport s = detect_cgroups(mountinfo, self);
    CHECK(s.v1_pids_dir == "/sys/fs/cgroup/pids");
    CHECK(s.v1_memory_dir == "/sys/fs/cgroup/memory/jobs/abc");
    CHECK(s.v1_freezer_dir == "/sys/fs/cgroup/freezer");
    CHECK(s.v2_dir == "/sys/fs/cgroup/unified/agent.slice");
    std::filesystem::remove(mountinfo);
    std::filesystem::remove(self);
}

TEST_CASE("detect_cgroups: pure v2 inside a container (mount root is a subtree)", "[cgroup]") {
    const auto mountinfo = write_temp(
        "mountinfo2",
        "40 30 0:40 /system.slice/outpost.service /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    const auto self = write_temp("self2", "0::/system.slice/outpost.service\n");
    const CgroupSupport s = detect_cgroups(mountinfo, self);
    CHECK(s.v2_dir == "/sys/fs/cgroup");
    CHECK_FALSE(s.v1_pids_dir);
    std::filesystem::remove(mountinfo);
    std::filesystem::remove(self);
}

TEST_CASE("a run's cgroup gets its limits and is removed after the run", "[cgroup]") {
    const Capabilities& caps = probed();
    if (!caps.available(Protection::cgroup_pids)) OUTPOST_SKIP("no pids controller here");
    CgroupLimits limits;
    limits.pids_max = 7;
    const std::string name = "test-" + std::to_string(::getpid());
    std::vector<std::string> dirs;
    {
        auto cg = RunCgroup::create(caps.cgroups, "outpost", name, limits);
        REQUIRE(cg);
        CHECK(cg->empty());
        for (const auto& procs : cg->procs_files()) {
            const auto dir = std::filesystem::path(procs).parent_path();
            dirs.push_back(dir);
            if (std::filesystem::exists(dir / "pids.max")) {
                std::ifstream in(dir / "pids.max");
                std::string value;
                in >> value;
                CHECK(value == "7");
            }
        }
        CHECK_FALSE(dirs.empty());
        CHECK(cg->remove());
    }
    for (const auto& d : dirs) CHECK_FALSE(std::filesystem::exists(d));

    // And through a real run: nothing left under the agent-owned parent.
    Harness h;
    auto r = h.run(spec("/bin/true", {}));
    CHECK(r.state == RunState::succeeded);
    for (const auto& d : dirs) {
        const auto parent = std::filesystem::path(d).parent_path();
        for (const auto& entry : std::filesystem::directory_iterator(parent))
            CHECK(entry.path().filename().string().rfind("run-" + std::to_string(::getpid()) + "-",
                                                         0) != 0);
    }
}

TEST_CASE("a limit-free run's cgroup is kept for the next one and removed with the runner",
          "[cgroup]") {
    if (::geteuid() != 0) OUTPOST_SKIP("runs as nobody: needs root");
    const Capabilities& caps = probed();
    if (!caps.cgroups.v2_dir) OUTPOST_SKIP("no writable cgroup v2 hierarchy here");
    const std::string prefix = "run-" + std::to_string(::getpid()) + "-";
    const auto parent = std::filesystem::path(*caps.cgroups.v2_dir) / "outpost";
    auto own_run_dirs = [&] {
        std::vector<std::string> found;
        if (!std::filesystem::exists(parent)) return found;
        for (const auto& entry : std::filesystem::directory_iterator(parent))
            if (entry.path().filename().string().rfind(prefix, 0) == 0)
                found.push_back(entry.path().filename());
        return found;
    };
    auto v2_line = [](const std::string& text) {
        for (const auto& l : lines(text))
            if (l.rfind("0::", 0) == 0) return l;
        return std::string();
    };
    // Only a command that cannot write its cgroup's files hands it on: not
    // root, not the agent's own uid, no way to gain privileges.
    auto unprivileged = bare_profile();
    unprivileged.uid = 65534;
    {
        Harness h;
        auto first = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, unprivileged));
        auto second = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, unprivileged));
        REQUIRE(first.state == RunState::succeeded);
        REQUIRE(second.state == RunState::succeeded);
        CHECK(v2_line(first.stdout_data).find(prefix) != std::string::npos);
        CHECK(v2_line(first.stdout_data) == v2_line(second.stdout_data));
        CHECK(own_run_dirs().size() == 1);

        // A root command could have changed its cgroup (limits, child
        // cgroups, cgroup.type, file modes): its cgroup is removed after it,
        // and the next root command gets a new one.
        auto as_root = bare_profile();
        as_root.uid.reset();
        auto root_first = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, as_root));
        auto root_second = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, as_root));
        REQUIRE(root_first.state == RunState::succeeded);
        REQUIRE(root_second.state == RunState::succeeded);
        CHECK(v2_line(root_first.stdout_data) == v2_line(first.stdout_data));  // the spare
        CHECK(v2_line(root_second.stdout_data) != v2_line(root_first.stdout_data));
        CHECK(own_run_dirs().empty());
        auto pooled_again = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, unprivileged));
        REQUIRE(pooled_again.state == RunState::succeeded);
        CHECK(own_run_dirs().size() == 1);

        // A run with limits gets a cgroup of its own, removed after it.
        auto limited_profile = bare_profile();
        limited_profile.cgroup.pids_max = 64;
        auto limited = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, limited_profile));
        REQUIRE(limited.state == RunState::succeeded);
        if (caps.cgroups.v2_controllers.contains("pids"))
            CHECK(v2_line(limited.stdout_data) != v2_line(first.stdout_data));
        CHECK(own_run_dirs().size() == 1);

        // A run that had to be SIGKILLed leaves its cgroup behind for good
        // (a v1 freezer might still be frozen): the next run gets a new one.
        auto stubborn = spec("/bin/sh", {"-c", "cat /proc/self/cgroup; trap '' TERM; sleep 30"},
                             bare_profile());
        stubborn.timeout = std::chrono::milliseconds(1000);
        stubborn.kill_grace = std::chrono::milliseconds(100);
        auto killed = h.run(std::move(stubborn));
        REQUIRE(killed.state == RunState::timed_out);
        auto after = h.run(spec("/bin/cat", {"/proc/self/cgroup"}, unprivileged));
        REQUIRE(after.state == RunState::succeeded);
        CHECK(v2_line(killed.stdout_data).find(prefix) != std::string::npos);
        CHECK(v2_line(after.stdout_data) != v2_line(killed.stdout_data));
    }
    CHECK(own_run_dirs().empty());
}

TEST_CASE("run cgroups left by an agent that died are swept when a runner starts", "[cgroup]") {
    const Capabilities& caps = probed();
    if (!caps.cgroups.v2_dir) OUTPOST_SKIP("no writable cgroup v2 hierarchy here");
    // A pid that is certainly dead: a child we have reaped.
    const pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    REQUIRE(dead > 0);
    int status = 0;
    REQUIRE(::waitpid(dead, &status, 0) == dead);
    const auto parent = std::filesystem::path(*caps.cgroups.v2_dir) / "outpost";
    std::filesystem::create_directories(parent);
    const auto stale = parent / ("run-" + std::to_string(dead) + "-7");
    const auto ours = parent / ("run-" + std::to_string(::getpid()) + "-999999");
    std::filesystem::create_directory(stale);
    std::filesystem::create_directory(ours);  // a live process's: kept
    {
        Harness h;
        CHECK_FALSE(std::filesystem::exists(stale));
        CHECK(std::filesystem::exists(ours));
    }
    std::filesystem::remove(ours);
}
