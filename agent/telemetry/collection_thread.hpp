#pragma once
// The one thread telemetry collection runs on.
//
// Why a thread: a sample walks /proc (tens of milliseconds with 100 000
// processes) and calls statvfs on every mount, and statvfs on a hung NFS
// mount blocks in the kernel with no timeout and no non-blocking form. On
// the service loop that would stall heartbeats, command acks (due within
// 100 ms, protocol.md §3.3) and output of running commands. So the loop
// only hands jobs over; the thread runs them one at a time, in order, and
// each job returns the continuation the loop runs with its result (from
// deliver(), when ready_fd() is readable: an eventfd, as the WAL sync
// thread reports back). The thread touches no state of the loop.
//
// Stopping: the destructor discards jobs not yet started, waits for the
// running one (collectors return by their request's deadline) and joins.
// A collector that breaks that promise is waited for at most kJoinLimit;
// then the thread is detached and logged, never killed. Everything a job
// uses is owned by the job and the shared state (shared_ptr), so a
// detached thread never touches freed memory; the process is on its way
// out at that point anyway.

#include <chrono>
#include <functional>
#include <memory>

#include "agent/common/error.hpp"

namespace outpost::telemetry {

class CollectionThread {
  public:
    // Runs on the loop with the job's result.
    using Continuation = std::function<void()>;
    // Runs on the collection thread; never throws (catch inside).
    using Job = std::function<Continuation()>;

    static constexpr std::chrono::seconds kJoinLimit{5};

    [[nodiscard]] static Expected<std::unique_ptr<CollectionThread>> start();
    ~CollectionThread();
    CollectionThread(const CollectionThread&) = delete;
    CollectionThread& operator=(const CollectionThread&) = delete;

    // Readable when a continuation waits; the loop then calls deliver().
    [[nodiscard]] int ready_fd() const;
    void submit(Job job);
    // Runs the continuations of finished jobs, in order (loop side).
    void deliver();
    // Jobs submitted and not yet delivered.
    [[nodiscard]] std::size_t pending() const { return pending_; }

  private:
    struct Shared;
    explicit CollectionThread(std::shared_ptr<Shared> shared);
    std::shared_ptr<Shared> shared_;
    std::size_t pending_ = 0;  // loop side only
};

}  // namespace outpost::telemetry
