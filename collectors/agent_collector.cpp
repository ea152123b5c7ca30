#include "collectors/agent_collector.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/load_collector.hpp"
#include "collectors/pid_parse.hpp"
#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

// Entries of <proc>/self/fd, not counting the descriptor this count opens.
Expected<std::uint64_t> count_open_fds(const std::string& fd_dir) {
    DIR* dir = ::opendir(fd_dir.c_str());
    if (dir == nullptr) return fail(ErrorKind::io, fd_dir + ": " + std::strerror(errno));
    const std::string own = std::to_string(::dirfd(dir));
    std::uint64_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.' || own == entry->d_name) continue;
        ++count;
    }
    ::closedir(dir);
    return count;
}

}  // namespace

AgentCollector::AgentCollector(Roots roots) : roots_(std::move(roots)) {
    const long ticks = ::sysconf(_SC_CLK_TCK);
    ticks_per_second_ = ticks > 0 ? static_cast<double>(ticks) : 100.0;
    const long page = ::sysconf(_SC_PAGESIZE);
    page_size_ = page > 0 ? static_cast<std::uint64_t>(page) : 4096;
}

Expected<Collected> AgentCollector::collect(const CollectRequest& /*request*/,
                                            protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/self/stat", 4096);
    if (!text) return std::unexpected(text.error());
    auto stat = parse_pid_stat(*text);
    if (!stat) return std::unexpected(stat.error().context(roots_.proc + "/self/stat"));
    auto fds = count_open_fds(roots_.proc + "/self/fd");
    if (!fds) return std::unexpected(fds.error());

    auto& agent = sample.agent;
    agent.rss_bytes =
        stat->rss_pages > UINT64_MAX / page_size_ ? UINT64_MAX : stat->rss_pages * page_size_;
    agent.cpu_seconds = static_cast<double>(stat->utime + stat->stime) / ticks_per_second_;
    agent.open_fds = *fds;
    // Own uptime: the host's uptime minus when this process started.
    if (auto uptime_text = read_proc_file(roots_.proc + "/uptime", 4096)) {
        if (auto host_uptime = parse_uptime(*uptime_text)) {
            const auto started = static_cast<std::uint64_t>(static_cast<double>(stat->starttime) /
                                                            ticks_per_second_);
            agent.uptime_s = *host_uptime > started ? *host_uptime - started : 0;
        }
    }
    return Collected{};
}

}  // namespace outpost::collectors
