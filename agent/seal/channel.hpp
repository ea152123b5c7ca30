#pragma once
// One connection's sealed channel (protocol.md §8), as pure code: its keys,
// its two counters, seal() for every message after hello and open() for
// every inbound one, with each refusal of §8 as a typed error. No I/O, no
// logging; SealingConnection (sealing_connection.hpp) puts it on the
// transport path and turns a refusal into a close with 1008.
//
// A channel lives for one connection: a new connection makes a new channel
// with a new ephemeral key, and both counters start again at 0. A broken
// channel is not repaired: after the first refusal the caller closes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/seal/keys.hpp"

namespace outpost::seal {

// Why an inbound message was refused (§8 "Failures (agent side)").
enum class Refusal {
    unsealed,      // not a sealed message (nor an unsealed `error`)
    malformed,     // a `sealed` envelope without a usable n, id or c
    did_not_open,  // the tag did not verify: tampered, or another key
    replayed,      // n did not grow
    inner_sealed,  // the inner message is itself `sealed`
};

// "unsealed", "did_not_open", ...: the counter's label.
[[nodiscard]] std::string_view to_string(Refusal refusal);

struct SealError {
    Refusal refusal;
    // For logs and `outpost status`: "seal: the server's messages did not
    // open", "seal: unsealed `welcome` from the server", ... Names message
    // types and counters, never key material or message content.
    std::string what;
};

// An inbound message that passed: the inner message, to be handled exactly
// as if it had arrived alone; or an unsealed `error` (§8: only logged).
struct Opened {
    std::string text;
    bool unsealed_error = false;
};

class SealChannel {
  public:
    // A channel for a new connection, with a fresh ephemeral key pair.
    [[nodiscard]] static Expected<SealChannel> create(const KeyPair& agent,
                                                      const PublicKey& server);
    // The same with a given ephemeral pair (the known-answer tests).
    [[nodiscard]] static Expected<SealChannel> with_ephemeral(const KeyPair& ephemeral,
                                                              const KeyPair& agent,
                                                              const PublicKey& server);

    // E, for hello.seal.epk (base64url without padding).
    [[nodiscard]] const PublicKey& ephemeral_public() const { return ephemeral_public_; }
    [[nodiscard]] std::string hello_epk() const;

    // The sealed outer message of `inner`, with a fresh UUID v4 id, the
    // current time and the next n. Fails only when n is exhausted (2^64
    // messages; the caller closes).
    [[nodiscard]] Expected<std::string> seal(std::string_view inner);
    // The same with a given outer id and ts (the known-answer tests).
    [[nodiscard]] Expected<std::string> seal(std::string_view inner, std::string_view outer_id,
                                             std::string_view ts);

    // Opens one inbound message. The last accepted n only moves on success.
    [[nodiscard]] std::expected<Opened, SealError> open(std::string_view text);

    // The n the next seal() uses.
    [[nodiscard]] std::uint64_t next_outbound_n() const { return next_out_; }

  private:
    SealChannel(DirectionKeys keys, const PublicKey& ephemeral_public)
        : keys_(std::move(keys)), ephemeral_public_(ephemeral_public) {}

    DirectionKeys keys_;
    PublicKey ephemeral_public_;
    std::uint64_t next_out_ = 0;
    bool exhausted_ = false;                // next_out_ wrapped: nothing more can be sealed
    std::optional<std::uint64_t> last_in_;  // the last n accepted from the server
};

}  // namespace outpost::seal
