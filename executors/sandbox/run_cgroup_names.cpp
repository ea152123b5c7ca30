#include "executors/sandbox/run_cgroup_names.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <set>
#include <sstream>

#include "executors/sandbox/cgroup.hpp"
#include "executors/sandbox/small_file.hpp"

namespace outpost::executors {
namespace {

constexpr std::string_view kPrefix = "run-";

// "123-" → 123 and the rest; nullopt without digits and a dash after them.
std::optional<std::uint64_t> take_number(std::string_view& text, bool dash_follows) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (dash_follows) {
        if (text.empty() || text.front() != '-') return std::nullopt;
        text.remove_prefix(1);
    }
    return value;
}

// Process alive (or at least not known to be gone: EPERM is a live one).
bool pid_exists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

}  // namespace

std::string run_cgroup_name(std::uint64_t n) {
    // Read once per process (a forked test process has a start of its own).
    static pid_t cached_pid = 0;
    static std::optional<std::uint64_t> cached_start;
    const pid_t self = ::getpid();
    if (cached_pid != self) {
        cached_pid = self;
        cached_start = process_start_ticks(self);
    }
    std::string name = std::string(kPrefix) + std::to_string(self) + "-";
    if (cached_start) name += std::to_string(*cached_start) + "-";
    return name + std::to_string(n);
}

std::optional<RunCgroupOwner> parse_run_cgroup_name(std::string_view name) {
    if (!name.starts_with(kPrefix)) return std::nullopt;
    name.remove_prefix(kPrefix.size());
    const auto pid = take_number(name, true);
    if (!pid || *pid == 0 || *pid > static_cast<std::uint64_t>(INT32_MAX)) return std::nullopt;
    const auto second = take_number(name, false);
    if (!second) return std::nullopt;
    RunCgroupOwner owner{static_cast<pid_t>(*pid), std::nullopt};
    if (name.empty()) return owner;  // "run-<pid>-<n>"
    if (name.front() != '-') return std::nullopt;
    name.remove_prefix(1);
    if (!take_number(name, false) || !name.empty()) return std::nullopt;
    owner.start_ticks = *second;  // "run-<pid>-<start>-<n>"
    return owner;
}

std::optional<std::uint64_t> process_start_ticks(pid_t pid) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    // The command name (field 2) may hold spaces and ')': the fields that
    // follow start after the last ')'. starttime is field 22, the 20th after it.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    for (int i = 0; i < 20; ++i)
        if (!(fields >> field)) return std::nullopt;
    std::string_view text = field;
    auto start = take_number(text, false);
    if (!start || !text.empty()) return std::nullopt;
    return start;
}

bool owner_gone(const RunCgroupOwner& owner) {
    if (!pid_exists(owner.pid)) return true;
    if (!owner.start_ticks) return false;
    const auto start = process_start_ticks(owner.pid);
    // Unreadable: gone in the meantime, or /proc hides it (then keep it).
    if (!start) return !pid_exists(owner.pid);
    return *start != *owner.start_ticks;
}

std::vector<std::string> orphaned_run_cgroups(const CgroupSupport& support,
                                              const std::string& parent_name) {
    std::set<std::string> names;
    for (const auto* own :
         {&support.v2_dir, &support.v1_pids_dir, &support.v1_memory_dir, &support.v1_freezer_dir}) {
        if (!*own) continue;
        DIR* dir = ::opendir((**own + "/" + parent_name).c_str());
        if (dir == nullptr) continue;
        while (const dirent* e = ::readdir(dir)) {
            const std::string name = e->d_name;
            if (names.contains(name)) continue;
            const auto owner = parse_run_cgroup_name(name);
            if (owner && owner_gone(*owner)) names.insert(name);
        }
        ::closedir(dir);
    }
    return {names.begin(), names.end()};
}

}  // namespace outpost::executors
