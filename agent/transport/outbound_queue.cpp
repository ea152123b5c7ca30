#include "agent/transport/outbound_queue.hpp"

#include <algorithm>

namespace outpost::transport {

void OutboundQueue::push(std::string message) {
    bytes_ += message.size();
    messages_.push_back(std::move(message));
}

OutboundQueue::Fragment OutboundQueue::next() const {
    const std::string& front = messages_.front();
    size_t size = std::min(fragment_bytes_, front.size() - offset_);
    // Never between the bytes of one UTF-8 character: a receiver that checks
    // each frame's text on its own (RFC 6455 allows checking the whole
    // message only) still sees valid UTF-8. At most 3 bytes back; a fragment
    // smaller than a character is left as it is.
    const auto continuation = [&](size_t at) {
        return (static_cast<unsigned char>(front[at]) & 0xC0) == 0x80;
    };
    size_t cut = size;
    while (offset_ + cut < front.size() && cut > 0 && size - cut < 3 && continuation(offset_ + cut))
        --cut;
    if (cut > 0 && !(offset_ + cut < front.size() && continuation(offset_ + cut))) size = cut;
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
