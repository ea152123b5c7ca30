#pragma once
// The group commit's fdatasync, off the event loop (journal.sync: full).
//
// Why a thread: fdatasync has no non-blocking form that every host offers
// (io_uring is often disabled or filtered), and on SD cards, eMMC or a busy
// disk it can take seconds. On the loop, that stalls everything else the
// agent does meanwhile: heartbeats, output of running commands, `outpost
// status`, acks of commands that need no write. The thread does only that
// one syscall, on its own descriptor of the WAL file (fdatasync acts on the
// file, not the descriptor: it writes back every write made before it was
// called, whoever made it). It touches no SQLite object and no state of
// the loop; one mutex-guarded request/answer slot and an eventfd connect
// the two.
//
// Not a way around the at-most-once order: nothing that depends on the
// batch's commits happens until the answer is back on the loop (see the
// dispatcher's group commit, docs/journal.md).

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/common/error.hpp"

namespace outpost::journal {

class WalSyncThread {
  public:
    // What the thread calls on the WAL's descriptor: ::fdatasync; tests pass
    // one that is slow or fails (no disk does that on demand). Returns 0 or
    // sets errno.
    using SyncCall = std::function<int(int fd)>;
    using Done = std::function<void(Expected<void>)>;

    // `wal` is the journal's -wal file, opened now (right after the journal
    // opened it) and held: a sync fails if the path later names another
    // file. The thread allocates nothing and takes no glibc lock while a
    // sync succeeds (docs/sandbox.md, "A second thread").
    [[nodiscard]] static Expected<std::unique_ptr<WalSyncThread>> start(std::filesystem::path wal,
                                                                        SyncCall sync = {});
    ~WalSyncThread();  // waits for a sync in progress, then stops the thread
    WalSyncThread(const WalSyncThread&) = delete;
    WalSyncThread& operator=(const WalSyncThread&) = delete;

    // Readable when a sync has ended; the loop then calls deliver().
    [[nodiscard]] int ready_fd() const { return ready_fd_; }
    [[nodiscard]] bool in_flight() const { return done_ != nullptr; }

    // Syncs everything written to the WAL before this call. One at a time:
    // only when !in_flight(). `done` runs on the caller's thread, from
    // deliver() or wait().
    void begin(Done done);
    // Runs `done` if the sync has ended; nothing otherwise.
    void deliver();
    // How long the last answered sync took (set before its `done` runs).
    [[nodiscard]] std::chrono::steady_clock::duration last_sync_took() const {
        return last_sync_took_;
    }
    // Blocks until the sync in flight ends, then runs its `done`. For the
    // rare paths that must see the batch durable now (shutdown, a cancel).
    void wait();

  private:
    WalSyncThread(std::filesystem::path wal, SyncCall sync, int wal_fd, int ready_fd);
    void work();
    [[nodiscard]] Expected<void> sync_once();
    void take_answer(Expected<void> answer);

    const std::filesystem::path wal_;
    const SyncCall sync_;
    const int ready_fd_;
    const int wal_fd_;  // the thread's own descriptor of the WAL

    Done done_;                                             // loop side only
    std::chrono::steady_clock::duration last_sync_took_{};  // loop side only

    std::mutex mutex_;
    std::condition_variable changed_;
    bool requested_ = false;
    bool stopping_ = false;
    bool caller_waiting_ = false;  // in wait(): answer by notify, not eventfd
    std::optional<Expected<void>> answer_;
    std::chrono::steady_clock::duration answer_took_{};
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace outpost::journal
