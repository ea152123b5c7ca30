#pragma once
// A small lws server for the loopback tests: its own context on its own
// thread, TLS (or plain) on 127.0.0.1 with an ephemeral port.
//
// WebSocket (subprotocol "outpost.v1"): echoes every text message, except
//   "cmd:close:<code>" → closes with <code> and reason "bye"
//   "cmd:big:<n>"      → sends an n-byte text message (fragmented)
//   "cmd:binary"       → sends a binary message
//   "cmd:drop"         → drops the TCP connection without a close frame
// HTTP POST: "/ok" → 200 JSON token, "/fail" → 500, "/big" → 200 with a
// 100 KiB body, "/slow" → never answers, "/poll" → the next scripted
// PollReply (script_polls()), or 200 {"messages":[]} once they ran out.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct lws;
struct lws_context;

namespace outpost::transport::test {

struct ServerOptions {
    bool tls = true;
    std::string cert, key;
    int refuse_status = 0;  // answer every upgrade with this instead of 101
    std::optional<int> retry_after;
    // Name this subprotocol (at most 15 bytes) in the 101 instead of the
    // offered outpost.v1: a server of another protocol version.
    std::string select_subprotocol;
};

// One answer of "/poll" (the polling fallback's tests).
struct PollReply {
    int status = 200;
    std::string body = R"({"messages":[]})";
    std::string content_type = "application/json";
    std::optional<int> retry_after;
    std::string location;  // a redirect's Location
};

struct Seen {
    int upgrades = 0;       // upgrade requests that reached the server
    int http_requests = 0;  // plain HTTP requests
    std::string authorization, agent_id, user_agent, offered_protocols;
    std::vector<size_t> message_sizes;  // text messages received
    std::optional<int> peer_close_code;
    std::string post_path, post_body, post_content_type, post_custom_header;
    std::vector<std::string> poll_bodies;  // every "/poll" request body, in order
    std::string poll_authorization, poll_agent_id, poll_user_agent;
};

class TestServer {
  public:
    explicit TestServer(ServerOptions options);
    ~TestServer();
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] Seen seen() const;
    // Changes how upgrades are answered and forgets what was seen.
    void reset(int refuse_status = 0, std::optional<int> retry_after = std::nullopt,
               std::string select_subprotocol = {});

    // The answers of the next "/poll" requests, in order.
    void script_polls(std::vector<PollReply> replies);

    // Stops and joins the service thread (idempotent); the context stays.
    void stop_thread();

    // Internal (lws callbacks).
    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
    lws_context* context_ = nullptr;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// The process-wide TLS server (test_pki() certificates); reset() it per test.
TestServer& shared_tls_server();

}  // namespace outpost::transport::test
