#include "agent/journal/wal_sync_thread.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cassert>
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

namespace outpost::journal {

namespace {

// strerror() may share a buffer between threads; this does not.
std::string errno_message(int error) {
    return std::generic_category().message(error);
}

}  // namespace

Expected<std::unique_ptr<WalSyncThread>> WalSyncThread::start(std::filesystem::path wal,
                                                              SyncCall sync) {
    // Opened now, right after the journal, and never again: a descriptor
    // opened by path later could name a file that replaced the one SQLite
    // writes (which it keeps open), and would miss a writeback error
    // reported before it was opened.
    const int wal_fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (wal_fd < 0) {
        const int error = errno;
        return fail(fmt::format("opening the write-ahead log {} to sync it: {}", wal.string(),
                                errno_message(error)));
    }
    const int ready = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ready < 0) {
        const int error = errno;
        ::close(wal_fd);
        return fail(fmt::format("eventfd for the journal's sync thread: {}", errno_message(error)));
    }
    if (!sync) sync = [](int fd) { return ::fdatasync(fd); };
    try {
        return std::unique_ptr<WalSyncThread>(
            new WalSyncThread(std::move(wal), std::move(sync), wal_fd, ready));
    } catch (const std::exception& e) {  // std::thread could not start one, or no memory
        ::close(wal_fd);
        ::close(ready);
        return fail(fmt::format("starting the journal's sync thread: {}", e.what()));
    }
}

WalSyncThread::WalSyncThread(std::filesystem::path wal, SyncCall sync, int wal_fd, int ready_fd)
    : wal_(std::move(wal)),
      sync_(std::move(sync)),
      ready_fd_(ready_fd),
      wal_fd_(wal_fd),
      thread_([this] { work(); }) {}

WalSyncThread::~WalSyncThread() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();  // a requested sync is still done first (work())
    ::close(wal_fd_);
    ::close(ready_fd_);
}

void WalSyncThread::begin(Done done) {
    assert(!in_flight() && "one sync at a time");
    done_ = std::move(done);
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    changed_.notify_all();
}

void WalSyncThread::deliver() {
    std::uint64_t count = 0;
    // Drains the eventfd; EAGAIN when wait() already took the answer.
    (void)!::read(ready_fd_, &count, sizeof count);
    std::optional<Expected<void>> answer;
    {
        std::lock_guard lock(mutex_);
        answer.swap(answer_);
        if (answer) last_sync_took_ = answer_took_;
    }
    if (answer) take_answer(std::move(*answer));
}

void WalSyncThread::wait() {
    if (!in_flight()) return;
    std::optional<Expected<void>> answer;
    {
        std::unique_lock lock(mutex_);
        caller_waiting_ = true;
        changed_.wait(lock, [this] { return answer_.has_value(); });
        caller_waiting_ = false;
        answer.swap(answer_);
        last_sync_took_ = answer_took_;
    }
    take_answer(std::move(*answer));
}

void WalSyncThread::take_answer(Expected<void> answer) {
    Done done = std::move(done_);
    done_ = nullptr;  // before the call: `done` may begin the next sync
    if (done) done(std::move(answer));
}

void WalSyncThread::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return requested_ || stopping_; });
        if (!requested_) return;  // stopping, and nothing asked
        requested_ = false;
        lock.unlock();
        const auto began = std::chrono::steady_clock::now();
        Expected<void> answer = sync_once();
        const auto took = std::chrono::steady_clock::now() - began;
        lock.lock();
        answer_ = std::move(answer);
        answer_took_ = took;
        if (caller_waiting_) {
            changed_.notify_all();  // wait() takes it
        } else {
            // The loop's deliver(). A wait that begins after this finds the
            // answer itself; deliver() then finds none and does nothing.
            const std::uint64_t one = 1;
            (void)!::write(ready_fd_, &one, sizeof one);
        }
    }
}

Expected<void> WalSyncThread::sync_once() {
    // SQLite keeps its WAL file open for as long as the connection lives
    // (the journal uses exclusive locking), so the file opened at start is
    // the one it writes. If the path no longer names it (removed, or
    // replaced by a restore), syncing would still prove nothing about what
    // SQLite wrote to the file it holds: a failure, never a guess.
    struct stat now {};
    struct stat held {};
    if (::fstat(wal_fd_, &held) != 0) {
        const int error = errno;  // before anything else can change it
        return fail(
            fmt::format("the write-ahead log {}: fstat: {}", wal_.string(), errno_message(error)));
    }
    if (::stat(wal_.c_str(), &now) != 0 || now.st_dev != held.st_dev || now.st_ino != held.st_ino) {
        return fail(
            fmt::format("the write-ahead log {} was removed or replaced while the agent "
                        "ran; its writes cannot be synced",
                        wal_.string()));
    }
    int rc = 0;
    do {
        rc = sync_(wal_fd_);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int error = errno;
        return fail(fmt::format("fdatasync of the write-ahead log {}: {}", wal_.string(),
                                errno_message(error)));
    }
    return {};
}

}  // namespace outpost::journal
