#pragma once
// A sync call for WalSyncThread that holds each sync until the test lets it
// through, then really fdatasyncs (or fails with EIO while `fail_syncs` > 0):
// how a test shows a slow or failing disk, which no disk is on demand.

#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "agent/journal/wal_sync_thread.hpp"

namespace journal_test {

class SyncGate {
  public:
    // Runs on the sync thread.
    outpost::journal::WalSyncThread::SyncCall call() {
        return [this](int fd) {
            std::unique_lock lock(mutex_);
            ++entered_;
            changed_.notify_all();
            changed_.wait(lock, [this] { return open_; });
            if (fail_syncs_ > 0) {
                --fail_syncs_;
                errno = EIO;
                return -1;
            }
            return ::fdatasync(fd);
        };
    }
    void let_through() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }
    void fail_next(int n) {
        std::lock_guard lock(mutex_);
        fail_syncs_ = n;
    }
    // Until `n` syncs have reached the gate (10 s at most).
    void wait_entered(int n) {
        std::unique_lock lock(mutex_);
        REQUIRE(changed_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= n; }));
    }
    int entered() {
        std::lock_guard lock(mutex_);
        return entered_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool open_ = false;
    int entered_ = 0;
    int fail_syncs_ = 0;
};

}  // namespace journal_test
