#include "executors/sandbox/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <sstream>
#include <thread>

#include "executors/sandbox/run_cgroup_names.hpp"
#include "executors/sandbox/small_file.hpp"

namespace outpost::executors {
namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

Expected<void> write_file(const std::string& path, const std::string& value) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail(errno_text("open " + path));
    const ssize_t n = ::write(fd, value.data(), value.size());
    const int saved = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) {
        errno = saved;
        return fail(errno_text("write " + value + " to " + path));
    }
    return {};
}

// "key value" lines (memory.events, memory.oom_control): the value of `key`.
std::uint64_t read_keyed(const std::string& path, const std::string& key) {
    std::istringstream in(read_file(path));
    std::string k;
    std::uint64_t v = 0;
    while (in >> k >> v)
        if (k == key) return v;
    return 0;
}

// The child cgroups of `dir` (names only).
std::vector<std::string> child_cgroups(const std::string& dir) {
    std::vector<std::string> children;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string_view name = e->d_name;
            if (e->d_type == DT_DIR && name != "." && name != "..") children.emplace_back(name);
        }
        ::closedir(d);
    }
    return children;
}

// Processes of a cgroup and of the child cgroups a root command may have
// made in it. `complete` turns false when some cgroup.procs could not be
// read, or the nesting went deeper than this walk follows.
constexpr int kMaxNestedCgroups = 16;

void collect_tree_procs(const std::string& dir, int depth, std::vector<pid_t>& pids,
                        bool& complete) {
    const auto procs = read_file_or_missing(dir + "/cgroup.procs");
    if (!procs) complete = false;
    std::istringstream in(procs.value_or(""));
    long pid = 0;
    while (in >> pid) pids.push_back(static_cast<pid_t>(pid));
    for (const auto& child : child_cgroups(dir)) {
        if (depth == 0) {
            complete = false;
            break;
        }
        collect_tree_procs(dir + "/" + child, depth - 1, pids, complete);
    }
}

// rmdir of a cgroup, and of the child cgroups a root command may have made
// in it (an rmdir with children fails with EBUSY). Only empty cgroups can
// go, so this never touches a live process. Nesting deeper than
// kMaxNestedCgroups is left for an operator: it is the work of a command
// that meant it.
bool remove_cgroup_tree(const std::string& dir, int depth = kMaxNestedCgroups) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY || depth == 0) return false;
    const std::vector<std::string> children = child_cgroups(dir);
    if (children.empty()) return false;
    for (const auto& child : children) remove_cgroup_tree(dir + "/" + child, depth - 1);
    return ::rmdir(dir.c_str()) == 0 || errno == ENOENT;
}

Expected<void> make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(errno_text("mkdir " + path));
    return {};
}

// cgroup v2 needs the controllers enabled in each ancestor's subtree_control.
// The agent's own cgroup may hold processes (the agent), which v2 forbids for
// a cgroup that distributes controllers: move the agent into a leaf first.
Expected<void> enable_v2_controllers(const std::string& own, const std::string& parent,
                                     const std::set<std::string>& wanted) {
    std::string line;
    for (const auto& c : wanted) line += "+" + c + " ";
    if (line.empty()) return {};
    line.pop_back();
    if (!write_file(own + "/cgroup.subtree_control", line)) {
        if (errno != EBUSY) return fail(errno_text("enabling " + line + " in " + own));
        auto leaf = make_dir(own + "/agent");
        if (!leaf) return leaf;
        auto moved = write_file(own + "/agent/cgroup.procs", "0");
        if (!moved) return std::unexpected(moved.error().context("moving the agent into a leaf"));
        auto again = write_file(own + "/cgroup.subtree_control", line);
        if (!again) return again;
    }
    return write_file(parent + "/cgroup.subtree_control", line);
}

// "<parent>/<run_name>", made for a new run. The parent is made only when
// it is missing: one mkdir per hierarchy in the usual case.
Expected<std::string> make_run_dir(const std::string& parent, const std::string& run_name) {
    const std::string dir = parent + "/" + run_name;
    if (::mkdir(dir.c_str(), 0755) != 0) {
        if (errno == ENOENT) {
            if (auto made = make_dir(parent); !made) return std::unexpected(made.error());
        } else if (errno == EEXIST) {
            // Left by a dead process whose pid we now have (names carry
            // the pid); an empty cgroup goes, a busy one stays an error.
            ::rmdir(dir.c_str());
        }
        if (::mkdir(dir.c_str(), 0755) != 0) return fail(errno_text("mkdir " + dir));
    }
    return dir;
}

// The v2 controllers the limits need and the unified hierarchy offers;
// the rest of the limits go to v1 hierarchies.
std::set<std::string> wanted_v2_controllers(const CgroupSupport& support,
                                            const CgroupLimits& limits) {
    std::set<std::string> v2_wanted;
    if (limits.pids_max && support.v2_controllers.contains("pids")) v2_wanted.insert("pids");
    if (limits.memory_max_bytes && support.v2_controllers.contains("memory"))
        v2_wanted.insert("memory");
    return v2_wanted;
}

}  // namespace

Expected<std::string> RunCgroup::add_dir(const std::string& own, const std::string& parent_name,
                                         const std::string& run_name) {
    auto dir = make_run_dir(own + "/" + parent_name, run_name);
    if (!dir) return dir;
    dirs_.push_back(*dir);
    procs_files_.push_back(*dir + "/cgroup.procs");
    return dir;
}

Expected<void> RunCgroup::join_v2(const CgroupSupport& support, const std::string& parent_name,
                                  const std::string& run_name, const CgroupLimits& limits,
                                  const std::set<std::string>& v2_wanted) {
    const std::string& own = *support.v2_dir;
    if (!v2_wanted.empty()) {
        if (auto made = make_dir(own + "/" + parent_name); !made)
            return std::unexpected(made.error());
        auto enabled = enable_v2_controllers(own, own + "/" + parent_name, v2_wanted);
        if (!enabled) return std::unexpected(enabled.error().context("cgroup v2 delegation"));
    }
    auto dir = add_dir(own, parent_name, run_name);
    if (!dir) return std::unexpected(dir.error());
    tracking_dir_ = *dir;
    unified_dir_ = *dir;
    // Without these fds the run still works: the child is then created
    // by joining cgroup.procs, and events are read by path.
    unified_fd_.reset(::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    events_fd_.reset(::open((*dir + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
    kill_file_available_ = support.v2_kill;
    if (v2_wanted.contains("pids")) {
        has_limits_ = true;
        auto w = write_file(*dir + "/pids.max", std::to_string(*limits.pids_max));
        if (!w) return std::unexpected(w.error());
    }
    if (v2_wanted.contains("memory")) {
        has_limits_ = true;
        auto w = write_file(*dir + "/memory.max", std::to_string(*limits.memory_max_bytes));
        if (!w) return std::unexpected(w.error());
        // No swap: a hog is killed, not slowed down (absent without swap accounting).
        (void)write_file(*dir + "/memory.swap.max", "0");
        memory_dir_ = *dir;
        memory_v2_ = true;
    }
    return {};
}

Expected<void> RunCgroup::join_v1_pids(const std::string& own, const std::string& parent_name,
                                       const std::string& run_name, std::uint64_t pids_max) {
    auto dir = add_dir(own, parent_name, run_name);
    if (!dir) return std::unexpected(dir.error());
    has_limits_ = true;
    auto w = write_file(*dir + "/pids.max", std::to_string(pids_max));
    if (!w) return std::unexpected(w.error());
    if (tracking_dir_.empty()) tracking_dir_ = *dir;
    return {};
}

Expected<void> RunCgroup::join_v1_memory(const std::string& own, const std::string& parent_name,
                                         const std::string& run_name,
                                         std::uint64_t memory_max_bytes) {
    auto dir = add_dir(own, parent_name, run_name);
    if (!dir) return std::unexpected(dir.error());
    has_limits_ = true;
    const std::string value = std::to_string(memory_max_bytes);
    auto w = write_file(*dir + "/memory.limit_in_bytes", value);
    if (!w) return std::unexpected(w.error());
    // memsw must be >= the memory limit, so it is written second.
    (void)write_file(*dir + "/memory.memsw.limit_in_bytes", value);
    memory_dir_ = *dir;
    if (tracking_dir_.empty()) tracking_dir_ = *dir;
    return {};
}

Expected<void> RunCgroup::join_v1_freezer(const std::string& own, const std::string& parent_name,
                                          const std::string& run_name) {
    auto dir = add_dir(own, parent_name, run_name);
    if (!dir) return std::unexpected(dir.error());
    freezer_dir_ = *dir;
    if (tracking_dir_.empty()) tracking_dir_ = *dir;
    return {};
}

Expected<RunCgroup> RunCgroup::create(const CgroupSupport& support, const std::string& parent_name,
                                      const std::string& run_name, const CgroupLimits& limits) {
    RunCgroup cg;
    const std::set<std::string> v2_wanted = wanted_v2_controllers(support, limits);
    if (support.v2_dir) {
        auto joined = cg.join_v2(support, parent_name, run_name, limits, v2_wanted);
        if (!joined) return std::unexpected(joined.error());
    }
    if (limits.pids_max && !v2_wanted.contains("pids") && support.v1_pids_dir) {
        auto joined =
            cg.join_v1_pids(*support.v1_pids_dir, parent_name, run_name, *limits.pids_max);
        if (!joined) return std::unexpected(joined.error());
    }
    if (limits.memory_max_bytes && !v2_wanted.contains("memory") && support.v1_memory_dir) {
        auto joined = cg.join_v1_memory(*support.v1_memory_dir, parent_name, run_name,
                                        *limits.memory_max_bytes);
        if (!joined) return std::unexpected(joined.error());
    }
    if (!cg.kill_file_available_ && support.v1_freezer_dir) {
        auto joined = cg.join_v1_freezer(*support.v1_freezer_dir, parent_name, run_name);
        if (!joined) return std::unexpected(joined.error());
    }
    return cg;
}

std::optional<RunCgroup> RunCgroup::adopt(const CgroupSupport& support,
                                          const std::string& parent_name,
                                          const std::string& run_name) {
    RunCgroup cg;
    auto take = [&](const std::optional<std::string>& own) -> std::string {
        if (!own) return "";
        const std::string dir = *own + "/" + parent_name + "/" + run_name;
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return "";
        // Co-mounted v1 controllers share one directory.
        if (std::find(cg.dirs_.begin(), cg.dirs_.end(), dir) == cg.dirs_.end()) {
            cg.dirs_.push_back(dir);
            cg.procs_files_.push_back(dir + "/cgroup.procs");
        }
        return dir;
    };
    // The order create() makes them in, so remove() goes in reverse.
    cg.unified_dir_ = take(support.v2_dir);
    cg.kill_file_available_ = !cg.unified_dir_.empty() && support.v2_kill;
    const std::string pids = take(support.v1_pids_dir);
    const std::string memory = take(support.v1_memory_dir);
    cg.freezer_dir_ = take(support.v1_freezer_dir);
    if (cg.dirs_.empty()) return std::nullopt;
    for (const std::string& dir : {cg.unified_dir_, pids, memory, cg.freezer_dir_})
        if (cg.tracking_dir_.empty()) cg.tracking_dir_ = dir;
    cg.has_limits_ = true;  // unknown: whatever the earlier agent wrote stays unread
    return cg;
}

void RunCgroup::sweep_stale(const CgroupSupport& support, const std::string& parent_name) {
    for (const std::string& name : orphaned_run_cgroups(support, parent_name))
        if (auto cg = adopt(support, parent_name, name)) cg->remove();  // only an empty one goes
}

RunCgroup::RunCgroup(RunCgroup&& other) noexcept {
    *this = std::move(other);
}

RunCgroup& RunCgroup::operator=(RunCgroup&& other) noexcept {
    if (this != &other) {
        remove();
        dirs_ = std::move(other.dirs_);
        procs_files_ = std::move(other.procs_files_);
        tracking_dir_ = std::move(other.tracking_dir_);
        unified_dir_ = std::move(other.unified_dir_);
        memory_dir_ = std::move(other.memory_dir_);
        memory_v2_ = other.memory_v2_;
        freezer_dir_ = std::move(other.freezer_dir_);
        kill_file_available_ = other.kill_file_available_;
        has_limits_ = other.has_limits_;
        unified_fd_ = std::move(other.unified_fd_);
        events_fd_ = std::move(other.events_fd_);
        other.dirs_.clear();
        other.procs_files_.clear();
    }
    return *this;
}

RunCgroup::~RunCgroup() {
    remove();
}

std::optional<std::string> RunCgroup::read_events() const {
    if (!events_fd_.valid()) return read_file_or_missing(unified_dir_ + "/cgroup.events");
    char buf[512];
    ssize_t n;
    do {
        n = ::pread(events_fd_.get(), buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == ENODEV ? std::optional<std::string>("") : std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
}

bool RunCgroup::empty() const {
    if (tracking_dir_.empty()) return true;
    if (tracking_dir_ == unified_dir_) {
        // A removed directory ("") has nothing left in it.
        const auto events = read_events();
        return events && events->find("populated 1") == std::string::npos;
    }
    // v1 has no "populated" for a subtree: every cgroup.procs in it is read.
    // A missing directory has nothing left in it; an unreadable one might.
    std::vector<pid_t> pids;
    bool complete = true;
    collect_tree_procs(tracking_dir_, kMaxNestedCgroups, pids, complete);
    return complete && pids.empty();
}

std::vector<pid_t> RunCgroup::processes() const {
    std::vector<pid_t> pids;
    bool complete = true;
    for (const std::string& dir : dirs_) collect_tree_procs(dir, kMaxNestedCgroups, pids, complete);
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    return pids;
}

Expected<void> RunCgroup::kill_all() {
    if (kill_file_available_) return write_file(tracking_dir_ + "/cgroup.kill", "1");
    std::vector<pid_t> pids;
    bool complete = true;
    if (!freezer_dir_.empty()) {
        // v1: freeze so nothing can fork while we signal, kill everyone
        // (child freezer cgroups freeze with their parent), thaw so the
        // SIGKILLs are delivered. The wait for FROZEN is short because it
        // holds the loop; the runner repeats the kill every 10 ms anyway.
        auto frozen = write_file(freezer_dir_ + "/freezer.state", "FROZEN");
        if (!frozen) return frozen;
        for (int i = 0; i < 10; ++i) {
            if (read_file(freezer_dir_ + "/freezer.state").rfind("FROZEN", 0) == 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        collect_tree_procs(freezer_dir_, kMaxNestedCgroups, pids, complete);
        for (const pid_t pid : pids) ::kill(pid, SIGKILL);
        return write_file(freezer_dir_ + "/freezer.state", "THAWED");
    }
    if (unified_dir_.empty()) return fail("no cgroup kill mechanism");
    // cgroup v2 before cgroup.kill (5.14): freeze the tree (5.2+; without
    // cgroup.freeze this is a plain sweep, which the runner repeats), then
    // SIGKILL every member. A fatal signal reaches a frozen v2 task, so the
    // tree stays frozen; a frozen cgroup is never reused.
    (void)write_file(unified_dir_ + "/cgroup.freeze", "1");
    collect_tree_procs(unified_dir_, kMaxNestedCgroups, pids, complete);
    for (const pid_t pid : pids) ::kill(pid, SIGKILL);
    if (!complete) return fail("part of the cgroup tree could not be read");
    return {};
}

bool RunCgroup::ready_for_reuse() const {
    // Only a v2-only cgroup: "populated 0" covers child cgroups a root
    // command may have made, and a frozen one would stop the next run (and
    // a child borrowing the agent's memory with it) before its first step.
    if (has_limits_ || unified_dir_.empty() || dirs_.size() != 1) return false;
    const auto events = read_events();
    return events && events->find("populated 0") != std::string::npos &&
           events->find("frozen 1") == std::string::npos;
}

bool RunCgroup::oom_killed() const {
    if (memory_dir_.empty()) return false;
    if (memory_v2_) return read_keyed(memory_dir_ + "/memory.events", "oom_kill") > 0;
    // v1: "oom_kill N" in memory.oom_control (4.13+).
    return read_keyed(memory_dir_ + "/memory.oom_control", "oom_kill") > 0;
}

bool RunCgroup::remove() {
    bool all = true;
    std::vector<std::string> left;
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        if (!remove_cgroup_tree(*it)) {
            all = false;
            left.insert(left.begin(), *it);
        }
    }
    dirs_ = std::move(left);
    // Done with it either way: a cgroup left busy is only retried by rmdir,
    // so its fds must not pile up with the leftovers.
    unified_fd_.reset();
    events_fd_.reset();
    return all;
}

}  // namespace outpost::executors
