#pragma once
// One session's sealed channel (protocol.md §8): the two direction keys, the
// counters, and what the hub sent last (for the `seal-replay` fault). The
// session seals every outgoing message and opens every incoming one here,
// so nothing else in the hub knows about sealing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "seal.hpp"

namespace outpost::hub {

class JsonDoc;

// Test-only misbehaviour of the next sealed message the hub sends
// (`seal-fault`, docs/test-hub.md).
enum class SealFault {
    unsealed,  // send the inner message as is
    reuse_n,   // seal it properly, but with the last n again (a replayed counter)
    tamper,    // flip one byte of the ciphertext
    wrong_id,  // change the outer id after sealing (the associated data no longer matches)
};
[[nodiscard]] std::string_view to_string(SealFault fault);
[[nodiscard]] std::optional<SealFault> seal_fault_from(std::string_view word);

struct SealedOut {
    std::string text;  // the outer message
    std::string outer_id;
    uint64_t n = 0;
};

struct Opened {
    std::string inner;  // the inner message's bytes
    std::string outer_id;
    uint64_t n = 0;
};

class SealChannel {
  public:
    explicit SealChannel(const seal::Schedule& schedule);
    ~SealChannel();
    SealChannel(const SealChannel&) = delete;
    SealChannel& operator=(const SealChannel&) = delete;

    // The outer `sealed` message for `inner`; `fault` makes it a bad one.
    [[nodiscard]] SealedOut seal(std::string_view inner, std::optional<SealFault> fault = {});
    // Opens an agent message. The error's message is the refusal reason
    // (`unsealed`, `malformed`, `replay`, `open_failed`, `inner_sealed`).
    [[nodiscard]] Expected<Opened> open(const JsonDoc& outer);

    // The last outer message sent, verbatim (empty before the first).
    [[nodiscard]] const std::string& last_sent() const { return last_sent_; }

  private:
    seal::Key tx_{};  // server → agent
    seal::Key rx_{};  // agent → server
    uint64_t next_n_ = 0;
    std::optional<uint64_t> last_rx_n_;
    std::string last_sent_;
};

}  // namespace outpost::hub
