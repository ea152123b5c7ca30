#include "tests/support/podman_service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace outpost::test_support {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Starts argv with stdout and stderr going to `output` (a file, so a chatty
// child never blocks on a full pipe).
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& output) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0)
            ::_exit(126);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// Waits for `pid` until `limit`; its wait status, or nullopt (still running).
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return status;
        if (done < 0) return 0;  // already reaped
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

void stop_process(pid_t pid) {
    ::kill(pid, SIGTERM);
    if (wait_for_exit(pid, 5s)) return;
    ::kill(pid, SIGKILL);
    (void)wait_for_exit(pid, 5s);
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0) return true;
    }
    return false;
}

bool answers(const std::string& socket_path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool connected =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return connected;
}

// The processes other than this one whose command line contains `text`.
std::vector<pid_t> processes_naming(const std::string& text) {
    std::vector<pid_t> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const pid_t pid = std::stoi(name);
        if (pid == ::getpid()) continue;
        const std::string command_line = read_file(entry.path() / "cmdline");
        if (command_line.find(text) != std::string::npos) found.push_back(pid);
    }
    return found;
}

}  // namespace

std::optional<std::string> PodmanService::missing() {
    for (const char* program : {"podman", "runc"}) {
        if (!on_path(program))
            return std::string(program) + " is not installed (scripts/install-deps installs it)";
    }
    if (::access("/bin/busybox", X_OK) != 0)
        return "busybox-static is not installed (scripts/install-deps installs it)";
    if (::geteuid() != 0) return "podman tests need root here (no rootless setup on CI)";
    return std::nullopt;
}

PodmanService::PodmanService() {
    import_image();
    start_service();
}

PodmanService::~PodmanService() {
    try {
        (void)podman({"rm", "--all", "--force", "--time", "0"}, 60s);
    } catch (const std::exception&) {
        // Still stop the service and remove the dir; the rm's output is lost.
    }
    if (service_pid_ > 0) stop_process(service_pid_);
    wait_for_helpers();
}

// conmon runs `podman … container cleanup` when a container exits, detached
// from us; one still running after the rm would write its state back into
// the dir after TempDir removed it. Those processes name our dir (a unique
// temp path) on their command line: wait for them to end, and end the ones
// that do not within 15 s, by pid.
void PodmanService::wait_for_helpers() {
    const auto deadline = Clock::now() + 15s;
    for (;;) {
        const auto helpers = processes_naming(dir_.path().string());
        if (helpers.empty()) return;
        if (Clock::now() >= deadline) {
            for (const pid_t pid : helpers) ::kill(pid, SIGKILL);
            std::this_thread::sleep_for(100ms);
            return;
        }
        std::this_thread::sleep_for(50ms);
    }
}

std::vector<std::string> PodmanService::global_flags() const {
    return {"--root=" + dir_.file("root").string(),
            "--runroot=" + dir_.file("run").string(),
            "--tmpdir=" + dir_.file("tmp").string(),
            "--storage-driver=vfs",
            "--cgroup-manager=cgroupfs",
            "--events-backend=file"};
}

std::string PodmanService::podman(const std::vector<std::string>& args,
                                  std::chrono::seconds limit) {
    std::vector<std::string> argv{"podman"};
    for (auto& flag : global_flags()) argv.push_back(std::move(flag));
    argv.insert(argv.end(), args.begin(), args.end());
    const auto output = dir_.file("command.out");
    const pid_t pid = spawn(argv, output);
    const auto status = wait_for_exit(pid, limit);
    std::string text = read_file(output);
    if (!status) {
        stop_process(pid);
        throw std::runtime_error("podman " + args.front() + " took longer than " +
                                 std::to_string(limit.count()) + " s: " + text);
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        throw std::runtime_error("podman " + args.front() + " failed: " + text);
    }
    return text;
}

std::string PodmanService::run_detached(const std::string& name,
                                        const std::vector<std::string>& command,
                                        const std::vector<std::string>& options) {
    std::vector<std::string> args{"run",
                                  "--detach",
                                  "--name",
                                  name,
                                  "--runtime=runc",
                                  "--network=none",
                                  "--ulimit=nofile=1024:1024",
                                  "--ulimit=nproc=1024:1024"};
    args.insert(args.end(), options.begin(), options.end());
    args.emplace_back("localhost/bb:1");
    args.insert(args.end(), command.begin(), command.end());
    std::string id = podman(args);
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    return id.substr(id.rfind('\n') == std::string::npos ? 0 : id.rfind('\n') + 1);
}

// An image from a local root file system (no registry is reachable): the
// static busybox, and `sh` and `sleep` linked to it.
void PodmanService::import_image() {
    const auto rootfs = dir_.file("rootfs");
    std::filesystem::create_directories(rootfs / "bin");
    std::filesystem::copy_file("/bin/busybox", rootfs / "bin/busybox");
    std::filesystem::create_symlink("busybox", rootfs / "bin/sh");
    std::filesystem::create_symlink("busybox", rootfs / "bin/sleep");
    const auto tar = dir_.file("rootfs.tar").string();
    const pid_t pid = spawn({"tar", "-C", rootfs.string(), "-cf", tar, "."}, dir_.file("tar.out"));
    const auto status = wait_for_exit(pid, 30s);
    if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        if (!status) stop_process(pid);
        throw std::runtime_error("tar of the busybox rootfs failed: " +
                                 read_file(dir_.file("tar.out")));
    }
    (void)podman({"import", tar, "localhost/bb:1"});
}

void PodmanService::start_service() {
    std::vector<std::string> argv{"podman"};
    for (auto& flag : global_flags()) argv.push_back(std::move(flag));
    for (const char* arg : {"system", "service", "--time=0"}) argv.emplace_back(arg);
    argv.push_back("unix://" + socket_path());
    service_pid_ = spawn(argv, dir_.file("service.out"));
    const auto deadline = Clock::now() + 30s;
    while (!answers(socket_path())) {
        if (wait_for_exit(service_pid_, 0ms)) {
            service_pid_ = -1;
            throw std::runtime_error("podman system service exited: " +
                                     read_file(dir_.file("service.out")));
        }
        if (Clock::now() >= deadline) {
            stop_process(service_pid_);
            service_pid_ = -1;
            throw std::runtime_error("podman system service did not listen within 30 s: " +
                                     read_file(dir_.file("service.out")));
        }
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace outpost::test_support
