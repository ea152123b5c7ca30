#pragma once
// Messages waiting to be written, one lws_write per WRITEABLE callback,
// optionally cut into WebSocket fragments that end on UTF-8 character
// boundaries. WsConnection does not cut (protocol.md §3: one text frame per
// message; docs/protocol-notes.md). Pure: no lws.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace outpost::transport {

class OutboundQueue {
  public:
    explicit OutboundQueue(size_t fragment_bytes) : fragment_bytes_(fragment_bytes) {}

    struct Fragment {
        std::string_view payload;
        bool first = false;  // opens a message (TEXT opcode, else CONTINUATION)
        bool last = false;   // closes it (FIN)
    };

    void push(std::string message);
    [[nodiscard]] bool empty() const { return messages_.empty(); }
    // Messages not fully written yet (a partly written one counts) and their
    // unwritten bytes: what the session layer watches for back-pressure.
    [[nodiscard]] size_t messages() const { return messages_.size(); }
    [[nodiscard]] size_t bytes() const { return bytes_; }

    // The next fragment; valid until consume() or clear(). Requires !empty().
    [[nodiscard]] Fragment next() const;
    // Marks next() as written.
    void consume();
    void clear();

  private:
    size_t fragment_bytes_;
    std::deque<std::string> messages_;
    size_t offset_ = 0;  // written bytes of messages_.front()
    size_t bytes_ = 0;
};

}  // namespace outpost::transport
