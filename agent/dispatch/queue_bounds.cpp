#include "agent/dispatch/queue_bounds.hpp"

#include <fmt/format.h>

namespace outpost::dispatch {

std::optional<std::string> QueueBounds::refusal(bool must_wait, std::size_t queued_now,
                                                std::size_t stdin_bytes) const {
    if (must_wait && queued_now >= limits_.max_queued) {
        return fmt::format(
            "the agent's command queue is full (executor.max_queued: {} commands waiting); "
            "nothing was run",
            limits_.max_queued);
    }
    // Compared without adding, so no sum can overflow.
    if (stdin_bytes > limits_.max_queued_stdin_bytes ||
        held_bytes_ > limits_.max_queued_stdin_bytes - stdin_bytes) {
        return fmt::format(
            "the agent holds too much stdin of unfinished commands "
            "(executor.max_queued_stdin_bytes: {} bytes; {} held, this command's {} would "
            "exceed it); nothing was run",
            limits_.max_queued_stdin_bytes, held_bytes_, stdin_bytes);
    }
    return std::nullopt;
}

std::optional<std::string> QueueBounds::held_refusal(std::size_t held_now) const {
    if (held_now < limits_.max_queued) return std::nullopt;
    return fmt::format(
        "the agent holds too many commands awaiting approval (executor.max_queued: {} "
        "commands waiting); nothing was run",
        limits_.max_queued);
}

void QueueBounds::hold(const std::string& request_id, std::size_t stdin_bytes) {
    if (stdin_bytes == 0) return;
    auto [it, inserted] = held_.try_emplace(request_id, stdin_bytes);
    if (!inserted) return;  // already held: counted once
    held_bytes_ += stdin_bytes;
}

void QueueBounds::release(const std::string& request_id) {
    auto found = held_.find(request_id);
    if (found == held_.end()) return;
    held_bytes_ -= found->second;
    held_.erase(found);
}

}  // namespace outpost::dispatch
