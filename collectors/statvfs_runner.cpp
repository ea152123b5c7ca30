#include "collectors/statvfs_runner.hpp"

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace outpost::collectors {

// Lock order: Batch::mutex before Shared::mutex.
struct StatvfsRunner::Shared {
    std::mutex mutex;
    std::unordered_set<std::string> hung;  // paths whose call has not returned
    std::size_t stuck = 0;                 // threads abandoned inside a call
};

namespace {

using State = StatvfsOutcome::State;

// One pass: its paths, their outcomes, and where the helper thread is.
struct Batch {
    std::vector<std::string> paths;
    std::vector<StatvfsOutcome> outcomes;
    std::vector<bool> to_call;  // false: still hung from an earlier pass
    std::mutex mutex;
    std::condition_variable finished;
    std::size_t in_progress = 0;  // index of the call now running, when `calling`
    bool calling = false;
    bool done = false;
    bool abandoned = false;  // the caller stopped waiting
};

void work(const std::shared_ptr<Batch>& batch, const std::shared_ptr<StatvfsRunner::Shared>& shared,
          const StatvfsFunction& call) {
    for (std::size_t i = 0; i < batch->paths.size(); ++i) {
        if (!batch->to_call[i]) continue;
        {
            std::lock_guard lock(batch->mutex);
            if (batch->abandoned) return;
            batch->in_progress = i;
            batch->calling = true;
        }
        StatvfsOutcome outcome;
        outcome.state =
            call(batch->paths[i].c_str(), &outcome.stats) == 0 ? State::ok : State::failed;
        outcome.error = outcome.state == State::failed ? errno : 0;
        std::lock_guard lock(batch->mutex);
        batch->calling = false;
        if (batch->abandoned) {
            // This call was the stuck one: the mount answers again.
            std::lock_guard shared_lock(shared->mutex);
            shared->hung.erase(batch->paths[i]);
            --shared->stuck;
            return;
        }
        batch->outcomes[i] = outcome;
    }
    std::lock_guard lock(batch->mutex);
    batch->done = true;
    batch->finished.notify_all();
}

}  // namespace

StatvfsRunner::StatvfsRunner(StatvfsFunction statvfs_function)
    : statvfs_(std::move(statvfs_function)), shared_(std::make_shared<Shared>()) {}

StatvfsRunner::~StatvfsRunner() = default;

std::vector<StatvfsOutcome> StatvfsRunner::run(const std::vector<std::string>& paths,
                                               std::chrono::steady_clock::time_point deadline) {
    auto batch = std::make_shared<Batch>();
    batch->paths = paths;
    batch->outcomes.resize(paths.size());
    batch->to_call.assign(paths.size(), true);
    {
        std::lock_guard lock(shared_->mutex);
        for (std::size_t i = 0; i < paths.size(); ++i) {
            if (shared_->hung.contains(paths[i])) {
                batch->to_call[i] = false;
                batch->outcomes[i].state = State::still_hung;
            }
        }
    }
    std::thread helper(work, batch, shared_, statvfs_);
    std::unique_lock lock(batch->mutex);
    if (batch->finished.wait_until(lock, deadline, [&] { return batch->done; })) {
        lock.unlock();
        helper.join();
        return batch->outcomes;
    }
    // The call at `in_progress` is stuck; those after it were never made.
    batch->abandoned = true;
    if (batch->calling) {
        const std::size_t stuck_at = batch->in_progress;
        batch->outcomes[stuck_at].state = State::hung;
        std::lock_guard shared_lock(shared_->mutex);
        shared_->hung.insert(paths[stuck_at]);
        ++shared_->stuck;
    }
    auto outcomes = batch->outcomes;
    lock.unlock();
    helper.detach();
    return outcomes;
}

std::size_t StatvfsRunner::stuck_threads() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->stuck;
}

}  // namespace outpost::collectors
