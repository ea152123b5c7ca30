#include "harness.hpp"

#include <dirent.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

#include "executors/sandbox/small_file.hpp"

namespace outpost::executors::test {

const Capabilities& probed() {
    static const Capabilities caps = probe_capabilities();
    return caps;
}

SandboxProfile full_profile() {
    SandboxProfile p;
    p.rlimits.nofile = 1024;
    p.cgroup.pids_max = 256;
    p.cgroup.memory_max_bytes = 512ULL << 20;
    return p;
}

SandboxProfile bare_profile() {
    SandboxProfile p;
    p.no_network = false;
    p.private_tmp = false;
    p.read_only_root = false;
    p.own_pid_namespace = false;
    p.private_ipc = false;
    p.private_uts = false;
    p.seccomp = false;
    p.landlock = false;
    return p;
}

RunSpec spec(std::string path, std::vector<std::string> args, SandboxProfile profile) {
    RunSpec s;
    s.argv.push_back(path);
    for (auto& a : args) s.argv.push_back(std::move(a));
    s.path = std::move(path);
    s.timeout = std::chrono::seconds(20);
    s.kill_grace = std::chrono::milliseconds(500);
    s.profile = std::move(profile);
    return s;
}

Harness::Harness(Capabilities caps, Runner::Options options) {
    auto created = transport::EventLoop::create();
    REQUIRE(created);
    loop = std::move(*created);
    runner = std::make_unique<Runner>(*loop, std::move(caps), std::move(options));
}

Harness::~Harness() {
    runner.reset();
    loop.reset();
}

RunResult Harness::run(RunSpec s, std::chrono::milliseconds limit) {
    std::optional<RunResult> result;
    auto handle = runner->start(std::move(s), [&](RunResult r) { result = std::move(r); });
    if (!handle) FAIL("start refused: " << handle.error().message());
    REQUIRE(loop->run_until([&] { return result.has_value(); }, limit));
    if (std::getenv("OUTPOST_TEST_VERBOSE") != nullptr)
        WARN("state " << run_state_name(result->state) << " exit " << result->exit_code.value_or(-1)
                      << " signal " << result->signal.value_or("-") << " reason "
                      << result->reason.value_or("-") << " stderr "
                      << result->stderr_data.substr(0, 500));
    return std::move(*result);
}

std::vector<pid_t> processes_with(const std::string& marker) {
    std::vector<pid_t> found;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return found;
    while (const dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        std::string cmdline = read_file(std::string("/proc/") + e->d_name + "/cmdline");
        for (auto& c : cmdline)
            if (c == '\0') c = ' ';
        const std::string stat = read_file(std::string("/proc/") + e->d_name + "/stat");
        const auto paren = stat.rfind(')');
        const bool zombie =
            paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
        if (!zombie && cmdline.find(marker) != std::string::npos)
            found.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(dir);
    return found;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

}  // namespace outpost::executors::test
