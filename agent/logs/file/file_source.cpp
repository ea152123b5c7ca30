#include "agent/logs/file/file_source.hpp"

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

[[nodiscard]] std::chrono::microseconds until(TimePoint deadline, TimePoint now) {
    if (deadline <= now) return std::chrono::microseconds{0};
    return std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
}

[[nodiscard]] TimePoint modification_time(const struct stat& info) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::seconds(info.st_mtim.tv_sec) +
        std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
}

// Newlines in [begin, begin + length): memchr (libc's, vectorised, and not
// instrumented in the sanitizer build, where std::count cost a loaded
// machine's agent its share under a ~100 MB/s source).
[[nodiscard]] std::uint64_t count_newlines(const char* begin, std::size_t length) {
    std::uint64_t count = 0;
    const char* const end = begin + length;
    for (const char* at = begin; at < end; ++count) {
        const auto* newline =
            static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
        if (newline == nullptr) break;
        at = newline + 1;
    }
    return count;
}

}  // namespace

FileSource::FileSource(FileSourceOptions options)
    : options_(std::move(options)), assembler_(options_.max_line_bytes) {}

FileSource::~FileSource() {
    *alive_ = false;
    watcher_.reset();  // its inotify fd holds every inode watch
}

Expected<bool> FileSource::open_path() {
    auto opened = OpenFile::open(options_.path);
    if (!opened) return std::unexpected(opened.error());
    if (!*opened) return false;  // waited for: the directory watch says when
    adopt(std::move(**opened));
    if (watcher_) current_->watch = watcher_->watch_inode(*current_);
    return true;
}

void FileSource::adopt(OpenFile file) {
    current_ = std::move(file);
    position_ = 0;
    seen_size_ = 0;
    (void)unread_.take_lost();  // nothing of the new file was counted
    if (had_file_) ++counters_.rotations;
    had_file_ = true;
}

void FileSource::unwatch(const OpenFile& file) {
    // Two handles may share a watch when the path changed between opening
    // and watching; the watch goes only with the last of them.
    if (!watcher_ || file.watch < 0) return;
    int users = current_ && current_->watch == file.watch ? 1 : 0;
    for (const auto& successor : successors_) users += successor.watch == file.watch ? 1 : 0;
    if (users <= 1) watcher_->unwatch(file.watch);
}

bool FileSource::known(const FileIdentity& identity) const {
    if (current_ && current_->identity() == identity) return true;
    return std::any_of(successors_.begin(), successors_.end(),
                       [&](const OpenFile& held) { return held.identity() == identity; });
}

void FileSource::hold(OpenFile file) {
    // Opened as soon as it is known: if other rotations rename it away
    // before the old file is drained, or delete it, the source still has it.
    if (!current_) {
        adopt(std::move(file));
        return;
    }
    if (known(file.identity())) return;  // its watch is the held one's too
    if (successors_.size() >= kMaxSuccessors) {
        ++missed_files_;
        if (watcher_) watcher_->unwatch(file.watch);
        return;
    }
    successors_.push_back(std::move(file));
}

void FileSource::hold_arrivals() {
    // Every file that came to the path since the last look, in the order
    // they came, wherever renames took them (file_watcher): none is skipped
    // because it was renamed away before the loop got to it.
    if (!watcher_) return;
    for (auto& arrival : watcher_->take_arrivals()) {
        if (!arrival) {
            ++missed_files_;  // gone before it could be opened
            continue;
        }
        hold(std::move(*arrival));
    }
    // A link planted at the path is never followed (open_file.cpp); the
    // stream ends with why rather than waiting on the old file for ever.
    if (auto refused = watcher_->take_refusal()) fail_later(*refused);
}

void FileSource::hold_path() {
    // What the path names when following starts: it may have been replaced
    // since history() opened the file, before the watcher could hear it.
    if (!current_ || !watcher_) return;
    auto opened = OpenFile::open(options_.path);
    if (!opened && opened.error().kind() == ErrorKind::permission) {
        fail_later(opened.error().message());  // a planted link: never followed
        return;
    }
    if (!opened || !*opened || known((*opened)->identity())) return;
    (*opened)->watch = watcher_->watch_inode(**opened);
    hold(std::move(**opened));
}

Expected<std::vector<LogRecord>> FileSource::history(std::uint32_t lines, std::size_t max_bytes) {
    auto opened = open_path();
    if (!opened) return std::unexpected(opened.error());
    if (!*opened) return std::vector<LogRecord>{};  // not there yet: no history
    struct stat info {};
    if (::fstat(current_->fd(), &info) != 0) {
        return fail(ErrorKind::io, "fstat " + options_.path + ": " + std::strerror(errno));
    }
    const auto size = static_cast<std::uint64_t>(info.st_size);
    const auto now = std::chrono::system_clock::now();
    auto window =
        read_history(current_->fd(), size, lines, max_bytes, options_.max_line_bytes, now);
    if (!window) return std::unexpected(window.error().context(options_.path));
    bytes_read_ += window->bytes_read;
    position_ = window->end;
    auto records = std::move(window->records);
    if (position_ == size || modification_time(info) + options_.partial_line_timeout > now) {
        return records;  // a fresh unterminated tail is held by read() like any other
    }
    // An unterminated last line nobody has written to for longer than the
    // partial timeout is a partial line whose time has passed: part of the
    // history (or skipped with it when no lines are asked for).
    if (lines == 0) {
        position_ = size;
        return records;
    }
    ReadBudget unlimited{SIZE_MAX, SIZE_MAX};
    while (position_ < size) {
        auto got = read_block(position_);
        if (!got) return std::unexpected(got.error());
        if (*got == 0) break;
        position_ +=
            assembler_.feed(std::string_view(buffer_.data(), *got), records, unlimited, now);
    }
    if (assembler_.holding()) records.push_back(assembler_.take_partial(now));
    keep_newest(records, lines, max_bytes);
    return records;
}

Expected<void> FileSource::follow(transport::EventLoop& loop, SourceEvents events) {
    loop_ = &loop;
    events_ = std::move(events);
    auto watcher = FileWatcher::create(loop, options_.path, [this] { on_file_event(); });
    if (!watcher) return std::unexpected(watcher.error().context(options_.path));
    watcher_ = std::move(*watcher);
    if (current_) current_->watch = watcher_->watch_inode(*current_);
    hold_path();
    partial_timer_.emplace(loop);
    notify_timer_.emplace(loop);
    // Whatever was written since history(), or a tail it left, is there now.
    notify_timer_->schedule(std::chrono::microseconds{0}, [this] { on_file_event(); });
    return {};
}

void FileSource::on_file_event() {
    if (failed_) return;
    hold_arrivals();
    if (events_.on_readable) {
        const auto alive = alive_;
        const auto on_readable = events_.on_readable;  // it may destroy this source
        on_readable();
        if (!*alive) return;
    }
    count_unread_lines();
}

void FileSource::count_unread_lines() {
    // What the stream left unread (paused, or out of budget): its newlines
    // are what a truncation would provably lose.
    if (!current_ || failed_) return;
    const auto status = current_->status();
    if (!status || status->size < std::max(position_, seen_size_)) return;  // read() sees it
    seen_size_ = status->size;
    const std::uint64_t limit = std::min(status->size, position_ + kScanAheadBytes);
    std::uint64_t at = unread_.scan_from(position_);
    std::uint64_t newlines = 0;
    while (at < limit) {
        const auto got = read_block(at);
        if (!got || *got == 0) break;
        const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(*got, limit - at));
        newlines += count_newlines(buffer_.data(), length);
        at += length;
    }
    unread_.add_scanned(position_, at, newlines);
}

void FileSource::fail_later(std::string reason) {
    failed_ = true;
    successors_.clear();
    current_.reset();
    if (!notify_timer_) return;
    notify_timer_->schedule(std::chrono::microseconds{0}, [this, reason = std::move(reason)] {
        if (!events_.on_failed) return;
        const auto on_failed = events_.on_failed;  // it may destroy this source
        on_failed(reason);
    });
}

Expected<FileSource::Look> FileSource::look() {
    const auto status = current_->status();
    if (!status) return std::unexpected(status.error().context(options_.path));
    std::optional<FileIdentity> at_path;
    struct stat path_info {};
    if (::stat(options_.path.c_str(), &path_info) == 0) {
        at_path = FileIdentity{path_info.st_dev, path_info.st_ino};
    }
    Look seen;
    seen.open_deleted = status->deleted;
    seen.change = classify_change(current_->identity(), status->size,
                                  std::max(position_, seen_size_), at_path);
    seen_size_ = status->size;
    if (seen.change != FileChange::none || seen.open_deleted) hold_arrivals();
    for (const auto& successor : successors_) {
        const auto successor_status = successor.status();
        if (successor_status && successor_status->size > 0) seen.successor_written = true;
    }
    return seen;
}

Expected<std::size_t> FileSource::read_block(std::uint64_t offset) {
    buffer_.resize(kBlockBytes);
    for (;;) {
        const ssize_t n =
            ::pread(current_->fd(), buffer_.data(), buffer_.size(), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            return fail(ErrorKind::io, "read " + options_.path + ": " + std::strerror(errno));
        }
        bytes_read_ += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
    }
}

void FileSource::consume(std::size_t got, std::vector<LogRecord>& out, ReadBudget& budget,
                         TimePoint now) {
    const std::size_t before = out.size();
    position_ += assembler_.feed(std::string_view(buffer_.data(), got), out, budget, now);
    unread_.consumed(position_, out.size() - before);
}

void FileSource::restart_after_truncation(std::vector<LogRecord>& out) {
    ++counters_.truncations;
    counters_.lost += unread_.take_lost();
    // The held line's rest was in the part cut off: it ends here.
    if (assembler_.holding())
        out.push_back(assembler_.take_partial(std::chrono::system_clock::now()));
    position_ = 0;
}

bool FileSource::leave_file(const Look& seen, std::vector<LogRecord>& out, TimePoint now) {
    // At the end of the open file. Move to the next file once the writer has
    // moved past this one (a later file has data: looked at before this end
    // was read) or nobody can write it any more (no name left); a deleted
    // file with no successor is closed so that its space is freed.
    const bool to_successor = !successors_.empty() && (seen.successor_written || seen.open_deleted);
    const bool deleted = seen.change == FileChange::gone && seen.open_deleted;
    if (!to_successor && !deleted) return false;
    if (assembler_.holding()) out.push_back(assembler_.take_partial(now));
    unwatch(*current_);
    current_.reset();
    if (to_successor) {
        OpenFile next = std::move(successors_.front());
        successors_.pop_front();
        adopt(std::move(next));
    }
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
        if (!current_) hold_arrivals();
        if (!current_) {
            auto opened = open_path();
            if (!opened) {
                fail_later(opened.error().message());
                return out;
            }
            if (!*opened) break;
        }
        auto seen = look();
        if (seen && seen->change == FileChange::truncated) restart_after_truncation(out);
        auto got = seen ? read_block(position_) : Expected<std::size_t>(0);
        if (!seen || !got) {
            fail_later(!seen ? seen.error().message() : got.error().message());
            return out;
        }
        if (*got > 0) {
            consume(*got, out, budget, now);
            continue;
        }
        if (!leave_file(*seen, out, now)) {
            at_end = true;
            break;
        }
    }
    if (at_end || !current_) release_expired_partial(out, now);
    return out;
}

Skipped FileSource::skip(std::size_t max_records, std::size_t max_bytes) {
    if (failed_ || !current_ || assembler_.holding()) {
        return LogSource::skip(max_records, max_bytes);
    }
    const Skipped skipped = skip_whole_lines(max_records, max_bytes);
    if (skipped.bytes > 0) return skipped;
    return LogSource::skip(max_records, max_bytes);
}

Skipped FileSource::skip_whole_lines(std::size_t max_records, std::size_t max_bytes) {
    // Only what is there and known not truncated: the size is looked at
    // once, and a file shorter than the position is left to read().
    Skipped skipped;
    const auto status = current_->status();
    if (!status || status->size <= position_) return skipped;
    const std::uint64_t end =
        status->size - position_ > max_bytes ? position_ + max_bytes : status->size;
    while (position_ < end && skipped.records < max_records) {
        const auto got = read_block(position_);
        if (!got || *got == 0) break;
        const auto length =
            static_cast<std::size_t>(std::min<std::uint64_t>(*got, end - position_));
        const char* const begin = buffer_.data();
        const char* last_end = begin;  // just past the last newline taken
        for (const char* at = begin; skipped.records < max_records;) {
            const auto* newline = static_cast<const char*>(
                std::memchr(at, '\n', static_cast<std::size_t>(begin + length - at)));
            if (newline == nullptr) break;
            ++skipped.records;
            at = last_end = newline + 1;
        }
        const auto taken = static_cast<std::uint64_t>(last_end - begin);
        if (taken == 0) break;  // a line longer than what is left: read() cuts it
        position_ += taken;
        skipped.bytes += taken;  // a block ending mid-line: the next starts on that line
    }
    unread_.consumed(position_, skipped.records);
    return skipped;
}

std::uint64_t FileSource::backlog_bytes() const {
    if (!current_) return 0;
    const auto status = current_->status();
    if (!status) return 0;
    return status->size > position_ ? status->size - position_ : 0;
}

}  // namespace outpost::logs::file
