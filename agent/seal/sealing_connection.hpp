#pragma once
// The one place of the transport path where messages are sealed and opened
// (protocol.md §8): a Connection decorator around the real one (the
// WebSocket, and the HTTPS polling fallback of §7 wrapped the same way: one
// channel per polling period = per connect()). The
// session driver, the dispatcher and the outbox send and receive plaintext
// and never know.
//
// Per connect(): a new SealChannel (fresh ephemeral key, counters at 0),
// whose E hello_seal() offers for hello. The first message sent after the
// open must be `hello` and goes unsealed; every later one is sealed at send
// time with this connection's keys (so a result re-sent after a reconnect,
// or an outbox message kept since an earlier session, is sealed with the
// keys of the session it travels in: the journal keeps plaintext only).
// Every inbound message is opened before the driver sees it; an unsealed
// `error` is only logged; any refusal is reported once through
// on_seal_failure (the driver's policy closes with 1008 and backs off) and
// everything after it from this connection is dropped. The keys are wiped
// when the connection ends.

#include <functional>
#include <memory>
#include <optional>

#include "agent/seal/channel.hpp"
#include "agent/seal/keys.hpp"
#include "agent/transport/connection.hpp"

namespace outpost::seal {

class SealingConnection final : public transport::Connection {
  public:
    using MakeInner =
        std::function<std::unique_ptr<transport::Connection>(transport::ConnectionEvents)>;

    // `agent` is (a, A) from the identity (agent_key_pair(); should that
    // have failed, every connect() fails with its error: never unsealed),
    // `server` S from security.server_seal_key; `events` are the driver's;
    // `make_inner` builds the wrapped transport, given this decorator's events.
    SealingConnection(Expected<KeyPair> agent, const PublicKey& server,
                      transport::ConnectionEvents events, const MakeInner& make_inner);
    ~SealingConnection() override;
    SealingConnection(const SealingConnection&) = delete;
    SealingConnection& operator=(const SealingConnection&) = delete;

    [[nodiscard]] Expected<void> connect(const transport::ConnectSettings& settings,
                                         std::string bearer_token) override;
    [[nodiscard]] Expected<void> send(std::string message) override;
    void close(int code, std::string reason) override;
    void abort() override;
    [[nodiscard]] State state() const override { return inner_->state(); }
    [[nodiscard]] bool fully_written() const override { return inner_->fully_written(); }
    [[nodiscard]] size_t queued_bytes() const override { return inner_->queued_bytes(); }
    [[nodiscard]] std::optional<transport::HelloSeal> hello_seal() const override;
    void update_token(std::string bearer_token) override {
        inner_->update_token(std::move(bearer_token));
    }

  private:
    [[nodiscard]] transport::ConnectionEvents inner_events();
    void on_message(std::string_view text);
    void refuse(const SealError& error);
    void end_channel();  // the connection is gone: wipe its keys

    Expected<KeyPair> agent_;
    PublicKey server_;
    transport::ConnectionEvents events_;
    std::unique_ptr<transport::Connection> inner_;
    std::optional<SealChannel> channel_;  // the current connection's
    bool hello_sent_ = false;
    bool broken_ = false;  // refused once: nothing more in or out
};

}  // namespace outpost::seal
