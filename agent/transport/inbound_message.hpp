#pragma once
// Reassembles inbound WebSocket messages from lws's receive chunks and
// enforces protocol.md §3's size limit (lws itself has none). Pure: no lws.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace outpost::transport {

class InboundAssembler {
  public:
    explicit InboundAssembler(size_t max_message_bytes) : max_bytes_(max_message_bytes) {}

    enum class Kind {
        kIncomplete,  // more chunks to come
        kText,        // a whole text message: take() it
        kTooLarge,    // a text message over the limit ended; it was discarded
        kBinary,      // a binary message ended; protocol.md allows text only
    };
    struct Outcome {
        Kind kind = Kind::kIncomplete;
        size_t size = 0;  // total bytes seen for the message (for kTooLarge)
    };

    // `is_final`: this chunk ends the message. `is_binary` is read from the
    // first chunk of each message only (continuations inherit the opcode).
    // Oversized and binary messages are dropped as they arrive: memory stays
    // bounded by the limit whatever the peer sends.
    Outcome feed(std::string_view chunk, bool is_final, bool is_binary);

    [[nodiscard]] std::string take() { return std::exchange(buffer_, {}); }
    void reset();

  private:
    size_t max_bytes_;
    std::string buffer_;
    size_t seen_ = 0;
    bool in_message_ = false;
    bool discarding_ = false;
    bool binary_ = false;
};

}  // namespace outpost::transport
