#pragma once
// Messages waiting to be written, oldest first: one lws_write per WRITEABLE
// callback, one whole message per write (protocol.md §3: every message is
// one text frame). Pure: no lws.

#include <cstddef>
#include <deque>
#include <string>

namespace outpost::transport {

class OutboundQueue {
  public:
    void push(std::string message);
    [[nodiscard]] bool empty() const { return messages_.empty(); }
    // Messages not written yet and their bytes: what the session layer
    // watches for back-pressure.
    [[nodiscard]] size_t messages() const { return messages_.size(); }
    [[nodiscard]] size_t bytes() const { return bytes_; }

    // The next message to write; valid until pop() or clear(). Requires !empty().
    [[nodiscard]] const std::string& front() const { return messages_.front(); }
    // Marks front() as written.
    void pop();
    void clear();

  private:
    std::deque<std::string> messages_;
    size_t bytes_ = 0;
};

}  // namespace outpost::transport
