#include "agent/transport/outbound_queue.hpp"

namespace outpost::transport {

void OutboundQueue::push(std::string message) {
    bytes_ += message.size();
    messages_.push_back(std::move(message));
}

void OutboundQueue::pop() {
    bytes_ -= messages_.front().size();
    messages_.pop_front();
}

void OutboundQueue::clear() {
    // Swapped, not cleared: clear() keeps the deque's block map, which after
    // a peer that stopped reading can be large.
    std::deque<std::string>().swap(messages_);
    bytes_ = 0;
}

}  // namespace outpost::transport
