#include "agent/transport/outbound_queue.hpp"

#include <algorithm>

namespace outpost::transport {

void OutboundQueue::push(std::string message) {
    bytes_ += message.size();
    messages_.push_back(std::move(message));
}

OutboundQueue::Fragment OutboundQueue::next() const {
    const std::string& front = messages_.front();
    const size_t size = std::min(fragment_bytes_, front.size() - offset_);
    return Fragment{std::string_view(front).substr(offset_, size), offset_ == 0,
                    offset_ + size == front.size()};
}

void OutboundQueue::consume() {
    const Fragment written = next();
    offset_ += written.payload.size();
    bytes_ -= written.payload.size();
    if (written.last) {
        messages_.pop_front();
        offset_ = 0;
    }
}

void OutboundQueue::clear() {
    messages_.clear();
    offset_ = 0;
    bytes_ = 0;
}

}  // namespace outpost::transport
