#pragma once
// One WebSocket client connection to the control plane (protocol.md §1): the
// mechanism only. It never reconnects by itself — the session policy decides
// and calls connect() again; this object reports what happened.
//
// Every connect() that returns success ends in exactly ONE terminal event:
// on_refused, on_failure or on_closed. Events are delivered from inside the
// loop, never from within connect()/send()/close()/abort(). Destroying the
// object drops the connection without any event. Do not destroy the
// EventLoop first.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/transport/inbound_message.hpp"
#include "agent/transport/outbound_queue.hpp"
#include "agent/transport/timer.hpp"
#include "agent/transport/tls_settings.hpp"

struct lws;

namespace outpost::transport {

class EventLoop;

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
};

class WsConnection {
  public:
    struct Events {
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
    };

    enum class State { kIdle, kConnecting, kOpen, kClosing };

    WsConnection(EventLoop& loop, Events events);
    ~WsConnection();
    WsConnection(const WsConnection&) = delete;
    WsConnection& operator=(const WsConnection&) = delete;

    // Starts a connection attempt. Errors here are immediate (bad URL, ws://
    // without insecure_plaintext, unreadable CA file, header values with line
    // breaks, already connecting) and produce no event. The token is used
    // for this handshake only, then wiped.
    [[nodiscard]] Expected<void> connect(const ConnectSettings& settings, std::string bearer_token);

    // Queues one text message (only while open; at most max_message_bytes).
    [[nodiscard]] Expected<void> send(std::string message);
    // Sends a close frame with `code` (reason ≤ 123 bytes) after the queued
    // messages already being written; on_closed follows. While connecting,
    // acts like abort().
    void close(int code, std::string reason);
    // Drops the connection without a close frame; the terminal event follows
    // (on_failure "aborted" while connecting, else on_closed without a code).
    void abort();

    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] size_t queued_messages() const { return queue_.messages(); }
    // Nothing queued, and nothing lws still holds from the last write (a
    // message larger than the socket took at once): all in the kernel.
    [[nodiscard]] bool fully_written() const;
    [[nodiscard]] size_t queued_bytes() const { return queue_.bytes(); }
    // The socket (diagnostics and tests), -1 when not connected.
    [[nodiscard]] int native_fd() const;

    // For the lws callback only.
    int handle(lws* wsi, int reason, void* in, size_t len);

  private:
    int append_handshake_headers(lws* wsi, void* in, size_t len);
    int on_writeable(lws* wsi);
    void on_receive(lws* wsi, const void* in, size_t len);
    void on_connection_error(lws* wsi, const void* in, size_t len);
    void kill_async(std::string cause);
    void finish();
    void wipe_token();
    template <class F, class... Args>
    void emit(const F& handler, Args&&... args);

    EventLoop& loop_;
    Events events_;
    State state_ = State::kIdle;
    lws* wsi_ = nullptr;
    Timer connect_timer_;

    // Per attempt.
    std::string token_;
    std::string node_id_, user_agent_, host_header_, address_, path_, offered_;
    std::vector<SpkiPin> pins_;
    bool tls_ = false;
    std::string subprotocol_;
    std::string local_cause_;  // why we ended it, reported instead of lws's
    std::optional<int> close_code_;
    std::string close_reason_;
    std::optional<std::pair<int, std::string>> pending_close_;
    size_t max_message_bytes_ = 0;
    InboundAssembler inbound_{0};
    OutboundQueue queue_;
    std::vector<unsigned char> scratch_;  // LWS_PRE + the message being written
    Timer deferred_failure_;
};

}  // namespace outpost::transport
