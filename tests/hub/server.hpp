#pragma once
// The lws side: one TLS (or plain) vhost on 127.0.0.1 serving the WebSocket
// endpoint /v1/agent, the polling endpoint /v1/poll (§7, logic in poll.cpp)
// and the token endpoint /v1/token, stdin adopted as a raw
// file for control commands, one single-threaded service loop.

#include <libwebsockets.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "agent/common/error.hpp"
#include "control.hpp"
#include "events.hpp"
#include "http_reply.hpp"
#include "hub.hpp"
#include "poll.hpp"
#include "session.hpp"

namespace outpost::hub {

// An lws timer with a way back to its owner (the sul must come first).
struct TimerSlot {
    lws_sorted_usec_list_t sul;
    void* owner;
};

class Server {
  public:
    Server(HubState& hub, Control& control);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Creates the context and the listener, adopts stdin, reports the port.
    [[nodiscard]] Expected<void> start();
    // Services until quit, end of stdin or a signal; returns the exit code.
    int run();

    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

  private:
    struct Conn;
    struct HttpRequest {
        std::string method;
        std::string path;
        std::string agent_id;
        std::string user_agent;
        std::string token;  // bearer token of Authorization (polls)
        std::string body;
        bool too_large = false;
        std::optional<HttpReply> reply;
        std::optional<PollAnswer> poll;  // set for POST /v1/poll
    };
    struct Accepted {
        ConnInfo info;
        std::string subprotocol;
    };

    int on_event(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    int confirm_upgrade(lws* wsi, std::string_view upgrade);
    int refuse(lws* wsi, UpgradeInfo& ev, HttpReply reply);
    int on_http(lws* wsi, std::string_view path);
    void answer_http(lws* wsi, HttpRequest& req);
    [[nodiscard]] size_t body_limit(std::string_view path) const;
    int on_http_writeable(lws* wsi);
    void on_established(lws* wsi);
    int on_ws_writeable(lws* wsi);
    void on_closed(lws* wsi);
    void apply_read_stop(Conn& c);
    static void on_ping_timer(lws_sorted_usec_list_t* sul);
    int on_stdin(lws* wsi);
    void begin_stop();
    void forget(lws* wsi);
    [[nodiscard]] Expected<void> write_port_file(int port) const;

    HubState& hub_;
    Control& control_;
    lws_context* context_ = nullptr;
    lws_vhost* vhost_ = nullptr;
    // Mutable on purpose: --no-subprotocol blanks it around the handshake.
    std::array<char, 16> subprotocol_name_{"outpost.v1"};
    std::array<lws_protocols, 3> protocols_{};
    std::string cert_file_, key_file_, ca_file_;
    std::unordered_map<lws*, Accepted> accepted_;
    std::unordered_map<lws*, HttpRequest> http_;
    std::unordered_map<lws*, std::unique_ptr<Conn>> conns_;
    PollPeriods poll_;
    TimerSlot tick_{};
    bool stopping_ = false;
    lws_usec_t stop_deadline_ = 0;
};

}  // namespace outpost::hub
