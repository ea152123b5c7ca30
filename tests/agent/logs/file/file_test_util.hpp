#pragma once
// Helpers of the file-source tests: writing files the way writers do, and a
// follower that pulls a FileSource on a real EventLoop as a stream would.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logs/file/file_source.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::logs::file::test {

// One O_APPEND write, as a logging process does.
inline void append(const std::filesystem::path& path, std::string_view text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("open " + path.string());
    const ssize_t n = ::write(fd, text.data(), text.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size())) throw std::runtime_error("write " + path.string());
}

// Sets the file's mtime `age` into the past.
inline void age_file(const std::filesystem::path& path, std::chrono::seconds age) {
    timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= age.count();
    times[1] = times[0];
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) throw std::runtime_error("utimensat");
}

inline std::vector<std::string> texts(const std::vector<LogRecord>& records) {
    std::vector<std::string> out;
    out.reserve(records.size());
    for (const auto& record : records) out.push_back(record.text);
    return out;
}

// Follows a source and keeps every record it reads, pulling in batches like
// a stream with budget: one batch per loop pass, the next on a zero timer
// while batches come back non-empty (the loop runs between them).
class Follower {
  public:
    Follower(transport::EventLoop& loop, FileSource& source)
        : loop_(loop), source_(source), again_(loop) {}

    void start() {
        SourceEvents events;
        events.on_readable = [this] { pull(); };
        events.on_failed = [this](std::string reason) { failure = std::move(reason); };
        auto followed = source_.follow(loop_, std::move(events));
        if (!followed) throw std::runtime_error(followed.error().message());
    }

    // A paused stream: told "readable", reads nothing.
    bool paused = false;

    void pull() {
        if (paused) return;
        auto batch = source_.read(256, 64 * 1024);
        if (batch.empty()) return;
        for (auto& record : batch) records.push_back(std::move(record));
        again_.schedule(std::chrono::microseconds{0}, [this] { pull(); });
    }

    // Pulls until the source has nothing more now.
    void drain() {
        for (auto batch = source_.read(256, 64 * 1024); !batch.empty();
             batch = source_.read(256, 64 * 1024)) {
            for (auto& record : batch) records.push_back(std::move(record));
        }
    }

    bool run_until_records(std::size_t count, std::chrono::milliseconds limit) {
        return loop_.run_until([&] { return records.size() >= count; }, limit);
    }

    std::vector<LogRecord> records;
    std::string failure;

  private:
    transport::EventLoop& loop_;
    FileSource& source_;
    transport::Timer again_;
};

}  // namespace outpost::logs::file::test

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

namespace outpost::logs::file::test {

// Starts a child with a clean signal mask (the loop blocks SIGTERM/SIGHUP
// for itself) and stdout/stderr inherited; returns its pid.
inline pid_t spawn(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], nullptr, &attr, args.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0]);
    return pid;
}

// The child's exit code once it has ended, or -1 while it runs (`block`:
// wait for it).
inline int reap(pid_t pid, bool block) {
    int status = 0;
    const pid_t got = ::waitpid(pid, &status, block ? 0 : WNOHANG);
    if (got == 0) return -1;
    if (got < 0) throw std::runtime_error("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace outpost::logs::file::test
