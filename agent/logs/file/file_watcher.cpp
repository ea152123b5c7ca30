#include "agent/logs/file/file_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace outpost::logs::file {

namespace {

// Entries of the directory named like the file.
constexpr std::uint32_t kDirectoryMask =
    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
// Opening what the events name, then reading the events again to see that
// the name was not given to another file meanwhile: tries before giving up
// (only a directory renamed in a tight loop would need more).
constexpr int kOpenAttempts = 8;

[[nodiscard]] std::string base_name(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// The inodes being read: new data, truncation (IN_MODIFY), and the file
// losing its name.
constexpr std::uint32_t kInodeMask = IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;

}  // namespace

FileWatcher::FileWatcher(transport::EventLoop& loop, std::string path)
    : path_(std::move(path)), tracker_(base_name(path_)), retry_timer_(loop), notify_timer_(loop) {
    const auto slash = path_.rfind('/');
    directory_ = slash == 0 ? "/" : path_.substr(0, slash);
    name_ = path_.substr(slash + 1);
}

Expected<std::unique_ptr<FileWatcher>> FileWatcher::create(transport::EventLoop& loop,
                                                           const std::string& path,
                                                           std::function<void()> on_change) {
    if (path.empty() || path.front() != '/' || path.back() == '/') {
        return fail(ErrorKind::invalid_input, "not an absolute file path: " + path);
    }
    std::unique_ptr<FileWatcher> watcher(new FileWatcher(loop, path));
    watcher->on_change_ = std::move(on_change);
    watcher->inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (watcher->inotify_fd_ < 0) {
        return fail(ErrorKind::unavailable, std::string("inotify_init1: ") + std::strerror(errno));
    }
    FileWatcher* self = watcher.get();
    auto fd_watch =
        transport::FdWatch::create(loop, watcher->inotify_fd_, [self] { self->drain_events(); });
    if (!fd_watch) return std::unexpected(fd_watch.error().context("watching inotify"));
    watcher->fd_watch_ = std::move(*fd_watch);
    watcher->try_watch_directory();
    return watcher;
}

FileWatcher::~FileWatcher() {
    fd_watch_.reset();
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void FileWatcher::try_watch_directory() {
    directory_wd_ =
        ::inotify_add_watch(inotify_fd_, directory_.c_str(), kDirectoryMask | IN_ONLYDIR);
    if (directory_wd_ >= 0) return;
    // Not there (or not a directory yet): look again later. The file cannot
    // exist without it, so nothing is missed meanwhile but the moment.
    retry_timer_.schedule(kDirectoryRetry, [this] {
        try_watch_directory();
        if (directory_wd_ >= 0 && on_change_) {
            const auto on_change = on_change_;  // the callback may destroy this watcher
            on_change();
        }
    });
}

int FileWatcher::watch_inode(const OpenFile& file) {
    // The descriptor's /proc link names the inode itself, renamed or not:
    // the path may already name the next file.
    const std::string link = "/proc/self/fd/" + std::to_string(file.fd());
    const int wd = ::inotify_add_watch(inotify_fd_, link.c_str(), kInodeMask);
    if (wd < 0) return -1;
    if (std::find(inode_wds_.begin(), inode_wds_.end(), wd) == inode_wds_.end()) {
        inode_wds_.push_back(wd);
    }
    return wd;
}

void FileWatcher::unwatch(int wd) {
    const auto it = std::find(inode_wds_.begin(), inode_wds_.end(), wd);
    if (it == inode_wds_.end()) return;
    inode_wds_.erase(it);
    ::inotify_rm_watch(inotify_fd_, wd);
}

bool FileWatcher::read_events() {
    alignas(inotify_event) char buffer[4096];
    bool changed = false;
    for (;;) {
        const ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EAGAIN: drained
        for (ssize_t offset = 0; offset < n;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
            offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            if (event->mask & IN_Q_OVERFLOW) {
                // Events were dropped: the renames cannot be replayed. Look at
                // the path at least (the source also opens it when it finds
                // another file there).
                tracker_.on_event(IN_CREATE, name_, 0);
                changed = true;
            } else if (event->wd == directory_wd_) {
                if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                    directory_lost_ = true;
                } else if (event->len > 0) {
                    changed = tracker_.on_event(event->mask, event->name, event->cookie) || changed;
                }
            } else if (std::find(inode_wds_.begin(), inode_wds_.end(), event->wd) !=
                       inode_wds_.end()) {
                if (event->mask & IN_IGNORED) {
                    inode_wds_.erase(std::find(inode_wds_.begin(), inode_wds_.end(), event->wd));
                }
                changed = true;
            }
        }
    }
    tracker_.on_queue_empty();
    return changed;
}

void FileWatcher::open_arrivals() {
    for (auto& arrival : tracker_.arrivals()) {
        if (arrival.file || arrival.gone) continue;
        arrival.opened_as = arrival.name;
        auto opened = OpenFile::open(directory_ + "/" + arrival.name);
        // Not there or not readable: given up below unless the events say
        // where it went.
        if (opened && *opened) arrival.file = std::move(**opened);
        if (!opened && opened.error().kind() == ErrorKind::permission && !refused_) {
            refused_ = opened.error().message();
        }
    }
}

std::vector<std::optional<OpenFile>> FileWatcher::take_arrivals() {
    bool changed = read_events();
    for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
        tracker_.forget_names();
        open_arrivals();
        // Events queued while opening: a name given to another file since
        // the events before were read may have opened the wrong one; a file
        // renamed meanwhile is looked for under its new name.
        changed = read_events() || changed;
        bool again = false;
        for (auto& arrival : tracker_.arrivals()) {
            if (arrival.file && tracker_.name_reused(arrival.opened_as)) {
                arrival.file.reset();
                again = true;
            } else if (!arrival.file && !arrival.gone && arrival.name != arrival.opened_as) {
                again = true;
            }
        }
        if (!again) break;
    }
    std::vector<std::optional<OpenFile>> out(tracker_.take_dropped());
    for (auto& arrival : tracker_.arrivals()) {
        if (arrival.file) arrival.file->watch = watch_inode(*arrival.file);
        out.push_back(std::move(arrival.file));
    }
    tracker_.arrivals().clear();
    if (changed || directory_lost_) {
        notify_timer_.schedule(std::chrono::microseconds{0}, [this] { drain_events(); });
    }
    return out;
}

void FileWatcher::drain_events() {
    bool changed = read_events();
    if (directory_lost_) {
        // The directory was removed or renamed: its successor, if any, is
        // another directory to watch.
        directory_lost_ = false;
        if (directory_wd_ >= 0) ::inotify_rm_watch(inotify_fd_, directory_wd_);
        directory_wd_ = -1;
        try_watch_directory();
        changed = true;
    }
    if (changed && on_change_) {
        // A copy: the callback may destroy this watcher.
        const auto on_change = on_change_;
        on_change();
    }
}

}  // namespace outpost::logs::file
