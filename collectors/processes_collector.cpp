#include "collectors/processes_collector.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "collectors/pid_parse.hpp"
#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

using protocol::outbound::ProcessEntry;
using protocol::outbound::ProcessStats;
using Seen = ProcessesCollector::Seen;

// A candidate for a top list; the name is copied only when it gets in.
struct Ranked {
    double key = 0;
    ProcessEntry entry;
};

// Whether `a` ranks below `b`: a smaller key, or the same key and a higher
// pid (ties go to the lower pid, whatever order the walk sees them in).
bool ranks_below(double a_key, std::int64_t a_pid, double b_key, std::int64_t b_pid) {
    return a_key < b_key || (a_key == b_key && a_pid > b_pid);
}

// The N highest-ranked entries seen, unordered until sorted().
class TopN {
  public:
    explicit TopN(std::size_t n) : n_(n) { items_.reserve(n); }
    [[nodiscard]] bool wants(double key, std::int64_t pid) const {
        if (n_ == 0) return false;
        return items_.size() < n_ ||
               ranks_below(items_[min_].key, items_[min_].entry.pid, key, pid);
    }
    void add(double key, ProcessEntry entry) {
        if (items_.size() < n_) {
            items_.push_back(Ranked{key, std::move(entry)});
        } else {
            items_[min_] = Ranked{key, std::move(entry)};
        }
        min_ = 0;
        for (std::size_t i = 1; i < items_.size(); ++i) {
            if (below(items_[i], items_[min_])) min_ = i;
        }
    }
    [[nodiscard]] std::vector<ProcessEntry> sorted() && {
        std::sort(items_.begin(), items_.end(),
                  [](const Ranked& a, const Ranked& b) { return below(b, a); });
        std::vector<ProcessEntry> out;
        out.reserve(items_.size());
        for (auto& item : items_) out.push_back(std::move(item.entry));
        return out;
    }

  private:
    static bool below(const Ranked& a, const Ranked& b) {
        return ranks_below(a.key, a.entry.pid, b.key, b.entry.pid);
    }

    std::size_t n_;
    std::vector<Ranked> items_;
    std::size_t min_ = 0;
};

bool all_digits(const char* name) {
    if (*name == '\0') return false;
    for (; *name != '\0'; ++name) {
        if (*name < '0' || *name > '9') return false;
    }
    return true;
}

// "<pid>/<file>" into `path` (pid names are at most 10 digits).
const char* pid_path(char (&path)[40], const char* pid, const char* file) {
    const std::size_t pid_length = std::min<std::size_t>(std::strlen(pid), 20);
    std::memcpy(path, pid, pid_length);
    path[pid_length] = '/';
    std::strncpy(path + pid_length + 1, file, sizeof(path) - pid_length - 2);
    path[sizeof(path) - 1] = '\0';
    return path;
}

// Ticks of `pid` in the previous walk, when it is the same process.
std::optional<std::uint64_t> previous_ticks(const std::vector<Seen>& previous, std::int64_t pid,
                                            std::uint64_t starttime) {
    const auto it = std::lower_bound(previous.begin(), previous.end(), pid,
                                     [](const Seen& seen, std::int64_t p) { return seen.pid < p; });
    if (it == previous.end() || it->pid != pid || it->starttime != starttime) return std::nullopt;
    return it->ticks;
}

}  // namespace

ProcessesCollector::ProcessesCollector(ProcessesSettings settings, Roots roots)
    : settings_(settings), roots_(std::move(roots)) {
    settings_.top = std::min(settings_.top, kMaxTop);
    const long ticks = ::sysconf(_SC_CLK_TCK);
    ticks_per_second_ = ticks > 0 ? static_cast<double>(ticks) : 100.0;
    const long page = ::sysconf(_SC_PAGESIZE);
    page_size_ = page > 0 ? static_cast<std::uint64_t>(page) : 4096;
}

std::string ProcessesCollector::user_of(std::int64_t pid) {
    const std::string status_path = roots_.proc + "/" + std::to_string(pid) + "/status";
    if (!read_small_file_at(AT_FDCWD, status_path.c_str(), buffer_)) {
        return "?";  // gone since the walk
    }
    const auto uid = parse_status_uid(buffer_);
    return uid ? users_.name_of(*uid) : "?";
}

Expected<Collected> ProcessesCollector::collect(const CollectRequest& request,
                                                protocol::outbound::Telemetry& sample) {
    DIR* dir = ::opendir(roots_.proc.c_str());
    if (dir == nullptr) {
        return fail(ErrorKind::io, roots_.proc + ": " + std::strerror(errno));
    }
    const int proc_fd = ::dirfd(dir);
    const double seconds =
        previous_at_ ? std::chrono::duration<double>(request.now - *previous_at_).count() : 0;
    const bool have_rates = previous_at_.has_value() && seconds > 0;

    ProcessStats stats;
    TopN top_cpu(have_rates ? settings_.top : 0);
    TopN top_rss(settings_.top);
    current_.clear();
    bool stopped_at_deadline = false;
    char path[40];
    std::size_t seen_entries = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (!all_digits(entry->d_name)) continue;
        if (++seen_entries % 512 == 0 && std::chrono::steady_clock::now() >= request.deadline) {
            stopped_at_deadline = true;
            break;
        }
        // A process that exits mid-walk leaves no stat: normal, skipped.
        if (!read_small_file_at(proc_fd, pid_path(path, entry->d_name, "stat"), buffer_, 4096)) {
            continue;
        }
        const auto stat = parse_pid_stat(buffer_);
        const auto pid = parse_i64(entry->d_name);
        if (!stat || !pid) continue;
        ++stats.total;
        stats.running += stat->state == 'R' ? 1 : 0;
        stats.blocked += stat->state == 'D' ? 1 : 0;
        stats.zombie += stat->state == 'Z' ? 1 : 0;
        stats.threads += stat->threads;
        const std::uint64_t ticks = stat->utime + stat->stime;
        current_.push_back(Seen{*pid, stat->starttime, ticks});

        double cpu_percent = 0;
        if (have_rates) {
            if (const auto before = previous_ticks(previous_, *pid, stat->starttime)) {
                const std::uint64_t delta = ticks >= *before ? ticks - *before : 0;
                cpu_percent = static_cast<double>(delta) / ticks_per_second_ / seconds * 100.0;
            }
        }
        const std::uint64_t rss =
            stat->rss_pages > UINT64_MAX / page_size_ ? UINT64_MAX : stat->rss_pages * page_size_;
        const auto make_entry = [&] {
            return ProcessEntry{
                *pid, printable_ascii(stat->comm.substr(0, 64)), {}, cpu_percent, rss};
        };
        if (cpu_percent > 0 && top_cpu.wants(cpu_percent, *pid)) {
            top_cpu.add(cpu_percent, make_entry());
        }
        if (top_rss.wants(static_cast<double>(rss), *pid)) {
            top_rss.add(static_cast<double>(rss), make_entry());
        }
    }
    ::closedir(dir);

    stats.top_cpu = std::move(top_cpu).sorted();
    stats.top_rss = std::move(top_rss).sorted();
    for (auto* list : {&stats.top_cpu, &stats.top_rss}) {
        for (ProcessEntry& entry : *list) entry.user = user_of(entry.pid);
    }
    // /proc lists pids in ascending order; sort anyway so a root that does
    // not (a snapshot on another file system) still matches pids.
    if (!std::is_sorted(current_.begin(), current_.end(),
                        [](const Seen& a, const Seen& b) { return a.pid < b.pid; })) {
        std::sort(current_.begin(), current_.end(),
                  [](const Seen& a, const Seen& b) { return a.pid < b.pid; });
    }
    std::swap(previous_, current_);
    previous_at_ = request.now;
    sample.system.processes = std::move(stats);

    Collected collected;
    if (stopped_at_deadline) {
        collected.note = "processes: walk stopped at the deadline after " +
                         std::to_string(sample.system.processes->total) + " processes";
    }
    return collected;
}

}  // namespace outpost::collectors
