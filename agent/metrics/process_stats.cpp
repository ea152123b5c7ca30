#include "agent/metrics/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace outpost::metrics {
namespace {

// Boot time (btime in /proc/stat), seconds since the epoch: a process's
// start time in its stat is in clock ticks since boot.
std::optional<double> boot_time() {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
        if (key == "btime") {
            double seconds = 0;
            if (in >> seconds) return seconds;
            return std::nullopt;
        }
        in.ignore(1 << 20, '\n');
    }
    return std::nullopt;
}

std::uint64_t count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return 0;
    std::uint64_t n = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++n;
    }
    ::closedir(dir);
    return n > 0 ? n - 1 : 0;  // the directory's own fd, open while listing
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
    std::ifstream stat_file("/proc/self/stat");
    std::string stat;
    if (!std::getline(stat_file, stat)) return std::nullopt;
    // comm (field 2) may hold spaces and parentheses: fields are counted
    // from after its last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0, starttime = 0;
    // Field 3 (state) is the first here; utime is 14, stime 15, starttime 22.
    for (int index = 3; index <= 22 && fields >> field; ++index) {
        if (index == 14) utime = std::stod(field);
        if (index == 15) stime = std::stod(field);
        if (index == 22) starttime = std::stod(field);
    }
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));

    ProcessStats s;
    s.cpu_seconds = (utime + stime) / ticks;
    s.start_time_seconds = boot_time().value_or(0) + starttime / ticks;
    std::ifstream statm("/proc/self/statm");
    double size_pages = 0, resident_pages = 0;
    if (statm >> size_pages >> resident_pages) {
        s.virtual_bytes = static_cast<std::uint64_t>(size_pages * page);
        s.resident_bytes = static_cast<std::uint64_t>(resident_pages * page);
    }
    s.open_fds = count_open_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        s.max_fds = limit.rlim_cur;
    }
    return s;
}

}  // namespace outpost::metrics
