#pragma once
// One WebSocket client connection to the control plane (protocol.md §1): the
// mechanism only. It never reconnects by itself — the session policy decides
// and calls connect() again; this object reports what happened.
//
// The event contract (one terminal event per successful connect(), events
// only from inside the loop) is Connection's, connection.hpp. Do not destroy
// the EventLoop first.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/transport/connection.hpp"
#include "agent/transport/inbound_message.hpp"
#include "agent/transport/outbound_queue.hpp"
#include "agent/transport/timer.hpp"
#include "agent/transport/tls_settings.hpp"

struct lws;

namespace outpost::transport {

class EventLoop;

class WsConnection final : public Connection {
  public:
    // Events and State are Connection's (connection.hpp).

    WsConnection(EventLoop& loop, Events events);
    ~WsConnection() override;
    WsConnection(const WsConnection&) = delete;
    WsConnection& operator=(const WsConnection&) = delete;

    // connect(), send(), close(), abort(): as documented in connection.hpp.
    [[nodiscard]] Expected<void> connect(const ConnectSettings& settings,
                                         std::string bearer_token) override;
    [[nodiscard]] Expected<void> send(std::string message) override;
    void close(int code, std::string reason) override;
    void abort() override;

    [[nodiscard]] State state() const override { return state_; }
    [[nodiscard]] size_t queued_messages() const { return queue_.messages(); }
    // Nothing queued, and nothing lws still holds from the last write (a
    // message larger than the socket took at once): all in the kernel.
    [[nodiscard]] bool fully_written() const override;
    [[nodiscard]] size_t queued_bytes() const override { return queue_.bytes(); }
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
    void release_queue();
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
