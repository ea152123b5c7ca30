#pragma once
// What a session driver needs from a connection to the control plane, and
// nothing of how it is made: connect with a bearer token, send text
// messages, close or drop, and events back. WsConnection (WebSocket over TLS
// on the loop) and PollConnection (the HTTPS polling fallback of protocol.md
// §7, one polling period per connect()) are the implementations in
// production; the interface lets the driver be tested in-process with a
// test transport.
//
// Every connect() that returns success ends in exactly ONE terminal event:
// on_refused, on_failure or on_closed. Events are delivered from inside the
// loop, never from within connect()/send()/close()/abort(). Destroying the
// connection drops it without any event.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/transport/tls_settings.hpp"

namespace outpost::transport {

struct ConnectSettings {
    std::string url;  // wss://host[:port]/path (ws:// only with tls.insecure_plaintext)
    TlsSettings tls;
    // HTTP CONNECT proxy ("http://host:port"), already chosen by the glue with
    // resolve_proxy(); `no_proxy` entries still bypass it for matching hosts.
    std::optional<std::string> proxy;
    std::vector<std::string> no_proxy;
    size_t max_message_bytes = 1024 * 1024;               // protocol.max_message_bytes
    std::string node_id;                                  // X-Agent-Id
    std::string user_agent;                               // "outpost/<version>"
    std::vector<std::string> subprotocols{"outpost.v1"};  // offered, newest first
    std::chrono::seconds connect_timeout{10};             // TCP + TLS + upgrade
    // Polling only (§7): the wait between polls when the last answer carried
    // no messages (server.poll_interval); each exchange's own limit is
    // connect_timeout.
    std::chrono::milliseconds poll_interval{15000};
};

struct ConnectionEvents {
    // Upgrade done. `subprotocol` is the server's choice; empty when it
    // chose none (a version mismatch the caller handles, protocol.md §6).
    std::function<void(std::string_view subprotocol)> on_open;
    // One complete text message (fragments reassembled).
    std::function<void(std::string_view text)> on_message;
    // An inbound message over max_message_bytes was discarded; connection kept.
    std::function<void(size_t size_seen)> on_too_large;
    // An inbound frame the protocol does not allow (binary); discarded,
    // connection kept.
    std::function<void(std::string what)> on_invalid;
    // Terminal: the upgrade was answered with `http_status` instead of 101.
    std::function<void(int http_status, std::optional<int> retry_after_s)> on_refused;
    // Terminal: DNS/TCP/TLS/proxy/pin/timeout failure before the upgrade
    // completed; `cause` is for logs (never holds the token).
    std::function<void(std::string cause)> on_failure;
    // Terminal: the 101 selected a subprotocol this client did not offer,
    // which lws refuses; like a 101 with none, a version mismatch
    // (protocol.md §1). `selected` is what the server named, if known.
    std::function<void(std::string selected)> on_foreign_subprotocol;
    // Terminal: an open connection ended. `close_code` is the peer's (or,
    // after close(), ours); none for a TCP drop or abort().
    std::function<void(std::optional<int> close_code, std::string reason)> on_closed;
    // A sealed channel on the path (protocol.md §8, seal::SealingConnection)
    // refused what the peer sent: the receiver must close with 1008 at once
    // and back off. `counter` names the refusal ("did_not_open", ...), `what`
    // is for logs and status (never key material). Nothing more arrives from
    // this connection; its terminal event still follows the close.
    std::function<void(std::string counter, std::string what)> on_seal_failure;
    // Polling only (§7): a 200 answer confirmed that the server received the
    // first `through` messages sent since connect() (hello counts). A
    // WebSocket never reports it: a pong is its proof (outbox_sender.hpp).
    std::function<void(std::uint64_t through)> on_delivered;
};

// What the transport path adds to `hello` (protocol.md §8: `seal: {v, epk}`
// when the messages of this connection are sealed).
struct HelloSeal {
    int v = 1;
    std::string epk;  // base64url of this connection's ephemeral X25519 key
};

enum class ConnectionState { kIdle, kConnecting, kOpen, kClosing };

class Connection {
  public:
    using Events = ConnectionEvents;
    using State = ConnectionState;

    virtual ~Connection() = default;

    // Starts a connection attempt. Errors here are immediate (bad URL, ws://
    // without insecure_plaintext, unreadable CA file, header values with line
    // breaks, already connecting) and produce no event. The token is used
    // for this handshake only, then wiped.
    [[nodiscard]] virtual Expected<void> connect(const ConnectSettings& settings,
                                                 std::string bearer_token) = 0;
    // Queues one text message (only while open; at most max_message_bytes).
    [[nodiscard]] virtual Expected<void> send(std::string message) = 0;
    // Sends a close frame with `code` (reason ≤ 123 bytes) after the queued
    // messages already being written; on_closed follows. While connecting,
    // acts like abort().
    virtual void close(int code, std::string reason) = 0;
    // Drops the connection without a close frame; the terminal event follows
    // (on_failure "aborted" while connecting, else on_closed without a code).
    virtual void abort() = 0;

    [[nodiscard]] virtual State state() const = 0;
    // Nothing queued, and nothing the transport still holds from the last
    // write: all handed to the kernel.
    [[nodiscard]] virtual bool fully_written() const = 0;
    // Bytes of the messages queued by send() and not yet handed to the
    // transport's writer: what the session's high-water mark watches (a peer
    // that stops reading makes it grow; nothing else bounds it).
    [[nodiscard]] virtual size_t queued_bytes() const = 0;
    // hello.seal for the connection being made, when its messages are
    // sealed (a decorator does it; a plain transport never does).
    [[nodiscard]] virtual std::optional<HelloSeal> hello_seal() const { return std::nullopt; }
    // A fresh token for the requests still to come on this connection (a
    // polling period sends one per poll; §2.1 reauth). A WebSocket sent its
    // token once, in the upgrade, and ignores this.
    virtual void update_token(std::string /*bearer_token*/) {}
};

}  // namespace outpost::transport
