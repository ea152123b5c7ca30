#include "agent/runtime/exec_helper.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "executors/policy/trust.hpp"

namespace outpost::runtime {

namespace {
constexpr const char* kHelperName = "outpost-exec-as";
}  // namespace

ExecHelperSearch find_exec_helper(const std::vector<std::string>& candidates) {
    ExecHelperSearch search;
    for (const std::string& candidate : candidates) {
        if (::access(candidate.c_str(), F_OK) != 0) {
            search.refused.push_back(candidate + ": " + std::strerror(errno));
            continue;
        }
        auto trusted = policy::check_executable_trust(candidate);
        if (!trusted) {
            search.refused.push_back(candidate + ": " + trusted.error().message());
            continue;
        }
        search.path = trusted->resolved_path;
        return search;
    }
    return search;
}

ExecHelperSearch find_exec_helper() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return ExecHelperSearch{{}, {"/proc/self/exe: " + ec.message()}};
    const std::filesystem::path dir = self.parent_path();
    return find_exec_helper({(dir / kHelperName).string(),
                             (dir.parent_path() / "libexec" / "outpost" / kHelperName).string()});
}

}  // namespace outpost::runtime
