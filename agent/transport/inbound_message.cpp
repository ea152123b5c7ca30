#include "agent/transport/inbound_message.hpp"

namespace outpost::transport {

InboundAssembler::Outcome InboundAssembler::feed(std::string_view chunk, bool is_final,
                                                 bool is_binary) {
    if (!in_message_) {
        reset();
        in_message_ = true;
        binary_ = is_binary;
        discarding_ = binary_;
    }
    seen_ += chunk.size();
    if (!discarding_ && seen_ > max_bytes_) {
        discarding_ = true;
        buffer_ = {};  // release what we held so far
    }
    if (!discarding_) buffer_.append(chunk);
    if (!is_final) return {Kind::kIncomplete, seen_};

    in_message_ = false;
    if (binary_) {
        buffer_.clear();
        return {Kind::kBinary, seen_};
    }
    if (discarding_) return {Kind::kTooLarge, seen_};
    return {Kind::kText, seen_};
}

void InboundAssembler::reset() {
    buffer_.clear();
    seen_ = 0;
    in_message_ = false;
    discarding_ = false;
    binary_ = false;
}

}  // namespace outpost::transport
