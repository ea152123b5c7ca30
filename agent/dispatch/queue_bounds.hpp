#pragma once
// The bounds on what a server can make the agent hold (issue 14): how many
// accepted commands wait for a slot (executor.max_queued) and how many stdin
// bytes the agent keeps for commands that have not finished
// (executor.max_queued_stdin_bytes). Without them a server could send
// commands faster than they run until the agent runs out of memory. A
// command past a bound is refused (journaled `rejected`, like any refusal),
// never queued: nothing of it runs.
//
// A command's stdin is counted from its acceptance until it finishes, not
// only while it waits: the runner keeps its copy for the whole run (and the
// dispatcher one for an exec retry), so that is the memory really held.
// Held-for-approval commands wait in the journal, not in memory: their
// number is bounded apart (by the same max_queued, held_refusal), their
// stdin is not counted until an approval queues them (then they are checked
// again).
// Pure bookkeeping: it sends nothing and refuses nothing by itself.

#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace outpost::dispatch {

struct QueueLimits {
    std::size_t max_queued = 64;                            // commands waiting for a slot
    std::size_t max_queued_stdin_bytes = 16 * 1024 * 1024;  // stdin of unfinished commands
};

class QueueBounds {
  public:
    explicit QueueBounds(QueueLimits limits) : limits_(limits) {}

    // Why a new command may not be accepted now, naming the bound and its
    // configured value (sent to the server as the refusal's reason); nullopt:
    // it may. `must_wait`: no slot is free for it, so it would be queued
    // behind `queued_now` others.
    [[nodiscard]] std::optional<std::string> refusal(bool must_wait, std::size_t queued_now,
                                                     std::size_t stdin_bytes) const;

    // Why a new command that asks for approval may not be held now, with
    // `held_now` commands already awaiting approval; nullopt: it may.
    [[nodiscard]] std::optional<std::string> held_refusal(std::size_t held_now) const;

    // An accepted command's stdin is held until release(); releasing an id
    // that holds nothing (a held-for-approval command, a second release) does
    // nothing.
    void hold(const std::string& request_id, std::size_t stdin_bytes);
    void release(const std::string& request_id);

    [[nodiscard]] std::size_t held_stdin_bytes() const { return held_bytes_; }
    [[nodiscard]] const QueueLimits& limits() const { return limits_; }

  private:
    QueueLimits limits_;
    std::map<std::string, std::size_t> held_;  // request_id → its stdin bytes (non-zero only)
    std::size_t held_bytes_ = 0;
};

}  // namespace outpost::dispatch
