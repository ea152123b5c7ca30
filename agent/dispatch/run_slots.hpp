#pragma once
// The run slots: at most `max_concurrent` commands run at once, the rest of
// the accepted ones wait here in arrival order (journaled `queued`). This is
// the one queue of runs: the runner refuses a start beyond its limit, so
// both are sized from executor.max_concurrent and the runner never queues.
// Pure bookkeeping: it starts nothing and sends nothing.

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "agent/dispatch/command_policy.hpp"
#include "agent/journal/command.hpp"
#include "executors/runner/runner.hpp"

namespace outpost::dispatch {

// An accepted command with the way the allow-list approved to run it.
struct PendingRun {
    journal::CommandSpec spec;
    ApprovedRun run;
};

class RunSlots {
  public:
    explicit RunSlots(std::size_t max_concurrent);

    // A new command may take a slot at once: one is free and none waits.
    [[nodiscard]] bool can_start_now() const {
        return running_.size() < max_concurrent_ && queue_.empty();
    }
    void enqueue(PendingRun pending) { queue_.push_back(std::move(pending)); }
    // The first queued command, taken off the queue, if a slot is free for it.
    [[nodiscard]] std::optional<PendingRun> next_to_start();
    // The first queued command, taken off the queue, slot or not.
    [[nodiscard]] std::optional<PendingRun> take_first_queued();
    // Takes a queued command off the queue; false: none has this id.
    [[nodiscard]] bool remove_queued(const std::string& request_id);

    // The slot is taken before the process exists (it may wait for a sync):
    // its handle is then the default one, which the runner does not know.
    void occupy(const std::string& request_id, executors::RunHandle handle = {}) {
        running_[request_id] = handle;
    }
    void release(const std::string& request_id) { running_.erase(request_id); }
    [[nodiscard]] std::optional<executors::RunHandle> running(const std::string& request_id) const;

    [[nodiscard]] std::size_t running_count() const { return running_.size(); }
    [[nodiscard]] std::size_t queued_count() const { return queue_.size(); }

  private:
    std::size_t max_concurrent_;
    std::deque<PendingRun> queue_;                         // accepted, waiting for a slot
    std::map<std::string, executors::RunHandle> running_;  // request_id → run
};

}  // namespace outpost::dispatch
