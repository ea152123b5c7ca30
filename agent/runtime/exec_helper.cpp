#include "agent/runtime/exec_helper.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "agent/log/log.hpp"
#include "executors/policy/trust.hpp"
#include "executors/sandbox/exec_as/interface.hpp"

namespace outpost::runtime {

namespace {

constexpr const char* kHelperName = "outpost-exec-as";
constexpr std::string_view kLog = "sandbox";

bool same_file(const policy::TrustedFile& a, const policy::TrustedFile& b) {
    return a.device == b.device && a.inode == b.inode && a.changed.tv_sec == b.changed.tv_sec &&
           a.changed.tv_nsec == b.changed.tv_nsec;
}

// Runs `<path> <version> probe` and waits (start-up only, before the loop
// runs): whether the kernel will execute it here at all.
std::string probe(const std::string& path) {
    const std::string version = executors::exec_as::kInterfaceVersion;
    const std::string mode = executors::exec_as::kProbe;
    char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>(version.c_str()),
                    const_cast<char*>(mode.c_str()), nullptr};
    char* envp[] = {nullptr};
    pid_t pid = -1;
    if (const int rc = ::posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv, envp); rc != 0)
        return std::string("probe: ") + std::strerror(rc);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return std::string("probe: waitpid: ") + std::strerror(errno);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFEXITED(status)) return "probe: exit code " + std::to_string(WEXITSTATUS(status));
    return "probe: killed by signal " + std::to_string(WTERMSIG(status));
}

}  // namespace

ExecHelper ExecHelper::find(const std::vector<std::string>& candidates) {
    ExecHelper helper;
    for (const std::string& candidate : candidates) {
        if (::access(candidate.c_str(), F_OK) != 0) {
            helper.refused_.push_back(candidate + ": " + std::strerror(errno));
            continue;
        }
        auto trusted = policy::check_executable_trust(candidate);
        if (!trusted) {
            helper.refused_.push_back(candidate + ": " + trusted.error().message());
            continue;
        }
        if (std::string failed = probe(trusted->resolved_path); !failed.empty()) {
            helper.refused_.push_back(candidate + ": " + failed);
            continue;
        }
        helper.path_ = trusted->resolved_path;
        helper.checked_ = *trusted;
        return helper;
    }
    return helper;
}

ExecHelper ExecHelper::find() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        ExecHelper none;
        none.refused_.push_back("/proc/self/exe: " + ec.message());
        return none;
    }
    const std::filesystem::path dir = self.parent_path();
    return find({(dir / kHelperName).string(),
                 (dir.parent_path() / "libexec" / "outpost" / kHelperName).string()});
}

std::string ExecHelper::for_run() {
    if (path_.empty()) return "";
    auto trusted = policy::check_executable_trust(path_);
    std::string why;
    if (!trusted) {
        why = trusted.error().message();
    } else if (!same_file(*trusted, checked_)) {
        why = "it is no longer the file checked at start-up (replaced; restart the agent)";
    } else {
        return path_;
    }
    if (!warned_) {
        log::warn(kLog, "not using {} any more: {}; runs as other users fork the agent", path_,
                  why);
        warned_ = true;
    }
    return "";
}

}  // namespace outpost::runtime
