// What the sandbox takes away, checked from inside real processes.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;

namespace {

bool has(Protection p) {
    return probed().available(p);
}

}  // namespace

TEST_CASE("run_as nobody: uid, gid and groups are dropped", "[sandbox]") {
    Harness h;
    auto profile = full_profile();
    profile.uid = 65534;  // nobody; gid from passwd
    CHECK(h.run(spec("/usr/bin/id", {"-u"}, profile)).stdout_data == "65534\n");
    CHECK(h.run(spec("/usr/bin/id", {"-g"}, profile)).stdout_data == "65534\n");
    CHECK(h.run(spec("/usr/bin/id", {"-G"}, profile)).stdout_data == "65534\n");
    auto env = h.run(spec("/usr/bin/env", {}, profile));
    CHECK(env.stdout_data.find("HOME=/nonexistent\n") != std::string::npos);
}

TEST_CASE("rlimits: no core dumps, CPU and file size limits", "[sandbox]") {
    Harness h;
    auto limits = h.run(spec("/bin/cat", {"/proc/self/limits"}));
    CHECK(limits.stdout_data.find("Max core file size        0                    0") !=
          std::string::npos);
    CHECK(limits.stdout_data.find("Max open files            1024                 1024") !=
          std::string::npos);

    auto cpu = full_profile();
    cpu.rlimits.cpu_seconds = 1;
    auto spin = h.run(spec("/bin/sh", {"-c", "while :; do :; done"}, cpu));
    CHECK(spin.state == RunState::failed);
    CHECK(spin.signal == "SIGXCPU");
    REQUIRE(spin.reason);
    CHECK(spin.reason->find("CPU time limit exceeded") != std::string::npos);

    auto fsize = full_profile();
    fsize.rlimits.file_size_bytes = 1000;
    auto dd = h.run(
        spec("/bin/dd", {"if=/dev/zero", "of=/tmp/outpost-fsize", "bs=5000", "count=1"}, fsize));
    CHECK(dd.signal == "SIGXFSZ");
}

TEST_CASE("seccomp denies mount, unshare and ptrace with EPERM", "[sandbox]") {
    if (!has(Protection::seccomp)) OUTPOST_SKIP("no seccomp on this host");
    Harness h;
    auto un = h.run(spec("/usr/bin/unshare", {"-U", "/bin/true"}));
    CHECK(un.state == RunState::failed);
    CHECK(un.stderr_data.find("Operation not permitted") != std::string::npos);

    auto mnt = h.run(spec("/bin/mount", {"-t", "tmpfs", "x", "/mnt"}));
    CHECK(mnt.state == RunState::failed);
    CHECK_FALSE(mnt.stderr_data.empty());

    auto tr = h.run(spec("/usr/bin/strace", {"-o", "/dev/null", "/bin/true"}));
    CHECK(tr.state == RunState::failed);
    CHECK(tr.stderr_data.find("Operation not permitted") != std::string::npos);

    // The control: the same mount succeeds with seccomp off (inside the
    // run's private mount namespace), so it was seccomp that said no.
    // Landlock forbids mounts too, so it is off for the control.
    if (has(Protection::namespaces_mount)) {
        auto profile = full_profile();
        profile.seccomp = false;
        profile.landlock = false;
        auto ok = h.run(spec("/bin/mount", {"-t", "tmpfs", "x", "/mnt"}, profile));
        CHECK(ok.state == RunState::succeeded);
    }
}

TEST_CASE("no network: only lo in the no-network profile", "[sandbox]") {
    if (!has(Protection::namespaces_net)) OUTPOST_SKIP("no network namespaces on this host");
    Harness h;
    auto r = h.run(spec("/bin/cat", {"/proc/net/dev"}));
    int interfaces = 0;
    bool lo = false;
    for (const auto& line : lines(r.stdout_data)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        ++interfaces;
        lo = lo || line.substr(0, colon).find("lo") != std::string::npos;
    }
    CHECK(lo);
    CHECK(interfaces == 1);
}

TEST_CASE("read-only root, private /tmp, writable paths", "[sandbox]") {
    if (!has(Protection::namespaces_mount)) OUTPOST_SKIP("no mount namespaces on this host");
    Harness h;
    auto ro = h.run(spec("/bin/sh", {"-c", "echo x > /etc/outpost-exec-test"}));
    CHECK(ro.state == RunState::failed);
    CHECK(ro.stderr_data.find("Read-only file system") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists("/etc/outpost-exec-test"));

    const std::string host_tmp = "/tmp/outpost-exec-private-" + std::to_string(::getpid());
    auto tmp = h.run(spec("/bin/sh", {"-c", "echo hi > " + host_tmp + " && cat " + host_tmp}));
    CHECK(tmp.state == RunState::succeeded);
    CHECK(tmp.stdout_data == "hi\n");
    CHECK_FALSE(std::filesystem::exists(host_tmp));

    const std::string dir = "/var/tmp/outpost-exec-writable-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    auto profile = full_profile();
    profile.writable_paths = {dir};
    auto w = h.run(spec("/bin/sh", {"-c", "echo data > " + dir + "/f"}, profile));
    CHECK(w.state == RunState::succeeded);
    CHECK(std::filesystem::exists(dir + "/f"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("Landlock alone keeps writes to the writable paths", "[sandbox]") {
    if (!has(Protection::landlock)) OUTPOST_SKIP("no Landlock on this host");
    Harness h;
    const std::string dir = "/var/tmp/outpost-exec-ll-" + std::to_string(::getpid());
    const std::string outside = "/var/tmp/outpost-exec-ll-outside-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    auto profile = full_profile();
    profile.read_only_root = false;  // only Landlock stands in the way
    profile.private_tmp = false;
    profile.writable_paths = {dir};
    auto denied = h.run(spec("/bin/sh", {"-c", "echo x > " + outside}, profile));
    CHECK(denied.state == RunState::failed);
    CHECK(denied.stderr_data.find("Permission denied") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(outside));
    auto allowed =
        h.run(spec("/bin/sh", {"-c", "echo x > " + dir + "/in && echo y > /dev/null"}, profile));
    CHECK(allowed.state == RunState::succeeded);
    std::filesystem::remove_all(dir);
    std::filesystem::remove(outside);
}

TEST_CASE("a fork bomb is contained by pids.max", "[sandbox]") {
    if (!has(Protection::cgroup_pids)) OUTPOST_SKIP("no pids controller on this host");
    Harness h;
    auto profile = full_profile();
    profile.cgroup.pids_max = 16;
    auto loop =
        spec("/bin/sh", {"-c", "for i in $(seq 1 40); do /bin/sleep 30 & done; wait"}, profile);
    loop.timeout = std::chrono::seconds(2);
    auto r = h.run(std::move(loop));
    CHECK(r.stderr_data.find("fork") != std::string::npos);  // "Cannot fork"
    CHECK(r.state != RunState::succeeded);                   // dash gives up after a failed fork

    auto bomb = spec("/bin/sh", {"-c", "f() { f | f & }; f; sleep 2"}, profile);
    bomb.timeout = std::chrono::seconds(3);
    auto b = h.run(std::move(bomb));
    CHECK((b.state == RunState::timed_out || b.state == RunState::succeeded ||
           b.state == RunState::failed));
    CHECK(h.runner->running() == 0);
}

TEST_CASE("a memory hog is killed and reported", "[sandbox]") {
    if (!has(Protection::cgroup_memory)) OUTPOST_SKIP("no memory controller on this host");
    Harness h;
    auto profile = full_profile();
    profile.cgroup.memory_max_bytes = 32ULL << 20;
    // tail buffers a "line" that never ends: it grows until the limit.
    auto r = h.run(spec("/usr/bin/tail", {"/dev/zero"}, profile));
    CHECK(r.state == RunState::failed);
    CHECK(r.signal == "SIGKILL");
    REQUIRE(r.reason);
    CHECK(r.reason->find("memory limit exceeded") != std::string::npos);
}
