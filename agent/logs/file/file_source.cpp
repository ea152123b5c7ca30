#include "agent/logs/file/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "agent/logs/file/file_watcher.hpp"
#include "agent/logs/file/history_reader.hpp"

namespace outpost::logs::file {

namespace {

[[nodiscard]] std::string errno_text(const char* what, const std::string& path) {
    return std::string(what) + " " + path + ": " + std::strerror(errno);
}

[[nodiscard]] std::chrono::microseconds until(TimePoint deadline, TimePoint now) {
    if (deadline <= now) return std::chrono::microseconds{0};
    return std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
}

}  // namespace

FileSource::FileSource(FileSourceOptions options)
    : options_(std::move(options)), assembler_(options_.max_line_bytes) {}

FileSource::~FileSource() {
    watcher_.reset();
    close_file();
}

Expected<bool> FileSource::open_path() {
    // O_NONBLOCK: a FIFO at the path must not block the loop in open(); it is
    // refused below anyway.
    const int fd = ::open(options_.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return false;  // waited for
        return fail(errno == EACCES ? ErrorKind::permission : ErrorKind::io,
                    errno_text("open", options_.path));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return fail(ErrorKind::invalid_input, "not a regular file: " + options_.path);
    }
    fd_ = fd;
    identity_ = FileIdentity{info.st_dev, info.st_ino};
    position_ = 0;
    if (had_file_) ++counters_.rotations;
    had_file_ = true;
    if (watcher_) {
        inode_wd_ = watcher_->watch_path_inode();
        if (successor_wd_ >= 0 && successor_wd_ != inode_wd_) watcher_->unwatch(successor_wd_);
    }
    successor_wd_ = -1;
    return true;
}

void FileSource::close_file() {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    if (watcher_ && inode_wd_ >= 0) watcher_->unwatch(inode_wd_);
    inode_wd_ = -1;
}

Expected<std::vector<LogRecord>> FileSource::history(std::uint32_t lines) {
    auto opened = open_path();
    if (!opened) return std::unexpected(opened.error());
    if (!*opened) return std::vector<LogRecord>{};  // not there yet: no history
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return fail(ErrorKind::io, errno_text("fstat", options_.path));
    const auto size = static_cast<std::uint64_t>(info.st_size);
    const auto now = std::chrono::system_clock::now();
    auto window = read_history(fd_, size, lines, options_.max_line_bytes, now);
    if (!window) return std::unexpected(window.error().context(options_.path));
    bytes_read_ += window->bytes_read;
    position_ = window->end;
    auto records = std::move(window->records);
    const TimePoint modified = std::chrono::system_clock::time_point(
        std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec));
    const bool tail_is_stale = modified + options_.partial_line_timeout <= now;
    if (position_ < size && tail_is_stale && lines == 0) position_ = size;
    if (position_ < size && tail_is_stale && lines > 0) {
        // An unterminated last line nobody has written to for longer than the
        // partial timeout is a partial line whose time has passed: it is part
        // of the history. A fresher one is held by read() like any other.
        std::vector<LogRecord> tail;
        ReadBudget unlimited{SIZE_MAX, SIZE_MAX};
        while (position_ < size) {
            auto got = read_block();
            if (!got) return std::unexpected(got.error());
            if (*got == 0) break;
            position_ +=
                assembler_.feed(std::string_view(buffer_.data(), *got), tail, unlimited, now);
        }
        records.insert(records.end(), tail.begin(), tail.end());
        if (assembler_.holding()) records.push_back(assembler_.take_partial(now));
        if (records.size() > lines) records.erase(records.begin(), records.end() - lines);
    }
    return records;
}

Expected<void> FileSource::follow(transport::EventLoop& loop, SourceEvents events) {
    loop_ = &loop;
    events_ = std::move(events);
    auto watcher = FileWatcher::create(loop, options_.path, [this] { on_file_event(); });
    if (!watcher) return std::unexpected(watcher.error().context(options_.path));
    watcher_ = std::move(*watcher);
    if (fd_ >= 0) inode_wd_ = watcher_->watch_path_inode();
    partial_timer_.emplace(loop);
    notify_timer_.emplace(loop);
    // Whatever was written since history(), or a tail it left, is there now.
    notify_timer_->schedule(std::chrono::microseconds{0}, [this] { on_file_event(); });
    return {};
}

void FileSource::on_file_event() {
    if (failed_ || !events_.on_readable) return;
    const auto on_readable = events_.on_readable;  // it may destroy this source
    on_readable();
}

void FileSource::fail_later(std::string reason) {
    failed_ = true;
    close_file();
    if (!notify_timer_) return;
    notify_timer_->schedule(std::chrono::microseconds{0}, [this, reason = std::move(reason)] {
        if (!events_.on_failed) return;
        const auto on_failed = events_.on_failed;  // it may destroy this source
        on_failed(reason);
    });
}

Expected<FileSource::Look> FileSource::look() const {
    struct stat open_info {};
    if (::fstat(fd_, &open_info) != 0)
        return fail(ErrorKind::io, errno_text("fstat", options_.path));
    Look seen;
    seen.open_deleted = open_info.st_nlink == 0;
    std::optional<FileIdentity> at_path;
    struct stat path_info {};
    if (::stat(options_.path.c_str(), &path_info) == 0) {
        at_path = FileIdentity{path_info.st_dev, path_info.st_ino};
        seen.path_size = static_cast<std::uint64_t>(path_info.st_size);
    }
    seen.change = classify_change(identity_, static_cast<std::uint64_t>(open_info.st_size),
                                  position_, at_path);
    return seen;
}

Expected<std::size_t> FileSource::read_block() {
    buffer_.resize(kBlockBytes);
    for (;;) {
        const ssize_t n =
            ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(position_));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(ErrorKind::io, errno_text("read", options_.path));
        bytes_read_ += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
    }
}

void FileSource::restart_after_truncation(std::vector<LogRecord>& out) {
    ++counters_.truncations;
    // The held line's rest was in the part cut off: it ends here.
    if (assembler_.holding())
        out.push_back(assembler_.take_partial(std::chrono::system_clock::now()));
    position_ = 0;
}

void FileSource::watch_successor() {
    // Its writes must wake the source too: they are what lets it switch.
    if (!watcher_) return;
    const int wd = watcher_->watch_path_inode();
    if (successor_wd_ >= 0 && successor_wd_ != wd && successor_wd_ != inode_wd_) {
        watcher_->unwatch(successor_wd_);
    }
    successor_wd_ = wd;
}

bool FileSource::leave_file(const Look& seen, std::vector<LogRecord>& out, TimePoint now) {
    // At the end of the open file. Switch to what the path names once the
    // writer has moved there (it has data) or nobody can write the old file
    // any more (no name left); a deleted file with no successor is closed
    // so that its space is freed.
    const bool switch_now =
        (seen.change == FileChange::replaced && (seen.path_size > 0 || seen.open_deleted)) ||
        (seen.change == FileChange::gone && seen.open_deleted);
    if (!switch_now) {
        if (seen.change == FileChange::replaced) watch_successor();
        return false;
    }
    if (assembler_.holding()) out.push_back(assembler_.take_partial(now));
    close_file();
    return true;
}

void FileSource::release_expired_partial(std::vector<LogRecord>& out, TimePoint now) {
    if (!assembler_.holding()) return;
    const TimePoint deadline = assembler_.holding_since() + options_.partial_line_timeout;
    if (deadline <= now) {
        out.push_back(assembler_.take_partial(now));
    } else if (partial_timer_) {
        partial_timer_->schedule(until(deadline, now), [this] { on_file_event(); });
    }
}

std::vector<LogRecord> FileSource::read(std::size_t max_records, std::size_t max_bytes) {
    std::vector<LogRecord> out;
    if (failed_) return out;
    ReadBudget budget{max_records, max_bytes};
    const auto now = std::chrono::system_clock::now();
    bool at_end = false;
    while (!budget.exhausted(out.size())) {
        if (fd_ < 0) {
            auto opened = open_path();
            if (!opened) {
                fail_later(opened.error().message());
                return out;
            }
            if (!*opened) break;  // waited for: the directory watch says when
        }
        auto seen = look();
        if (seen && seen->change == FileChange::truncated) restart_after_truncation(out);
        auto got = read_block();
        if (!seen || !got) {
            fail_later(!seen ? seen.error().message() : got.error().message());
            return out;
        }
        if (*got > 0) {
            position_ += assembler_.feed(std::string_view(buffer_.data(), *got), out, budget, now);
            continue;
        }
        if (!leave_file(*seen, out, now)) {
            at_end = true;
            break;
        }
    }
    if (at_end || fd_ < 0) release_expired_partial(out, now);
    return out;
}

std::uint64_t FileSource::backlog_bytes() const {
    struct stat info {};
    if (fd_ < 0 || ::fstat(fd_, &info) != 0) return 0;
    const auto size = static_cast<std::uint64_t>(info.st_size);
    return size > position_ ? size - position_ : 0;
}

}  // namespace outpost::logs::file
