#include "agent/dispatch/run_slots.hpp"

namespace outpost::dispatch {

RunSlots::RunSlots(std::size_t max_concurrent) : max_concurrent_(max_concurrent) {}

std::optional<PendingRun> RunSlots::next_to_start() {
    if (running_.size() >= max_concurrent_) return std::nullopt;
    return take_first_queued();
}

std::optional<PendingRun> RunSlots::take_first_queued() {
    if (queue_.empty()) return std::nullopt;
    PendingRun first = std::move(queue_.front());
    queue_.pop_front();
    return first;
}

bool RunSlots::remove_queued(const std::string& request_id) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->spec.request_id != request_id) continue;
        queue_.erase(it);
        return true;
    }
    return false;
}

std::optional<executors::RunHandle> RunSlots::running(const std::string& request_id) const {
    auto found = running_.find(request_id);
    if (found == running_.end()) return std::nullopt;
    return found->second;
}

}  // namespace outpost::dispatch
