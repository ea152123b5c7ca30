#pragma once
// `metrics.listen`: a tiny HTTP/1.1 server for `GET /metrics` on a loopback
// address (the config refuses any other), served by the event loop.
//
// It never blocks the loop and a client cannot hold it: sockets are
// non-blocking; a request is at most kMaxRequestBytes (then 431); a client
// has kRequestLimit to send it (then it is closed); at most kMaxClients wait
// at once (more are closed at once); the answer (tens of KiB) goes out with
// one send into a socket buffer sized for it, and a client that does not take
// it whole is closed rather than waited for. One request per connection
// (`Connection: close`): a scrape every 15 s needs no keep-alive.
//
// After the answer the connection lingers, half-closed, reading and
// discarding what the client still sends (a body, a pipelined request) until
// its EOF, kLingerLimit or kMaxDrainBytes: a close with unread input sends an
// RST, and the client's kernel may then drop the answer before it is read.
// Every local user can connect (loopback, no peer check): the render behind
// it is shared (RenderCache), so a client loop cannot make the loop render
// per request.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/common/error.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"
#include "executors/sandbox/unique_fd.hpp"

namespace outpost::metrics {

inline constexpr std::size_t kMaxRequestBytes = 8192;
inline constexpr std::size_t kMaxClients = 16;
inline constexpr std::chrono::seconds kRequestLimit{5};
inline constexpr std::chrono::seconds kLingerLimit{2};
inline constexpr std::size_t kMaxDrainBytes = 1024 * 1024;

class HttpEndpoint {
  public:
    using Render = std::function<std::string()>;

    // `address`: `127.0.0.1:PORT` or `[::1]:PORT` (config-checked).
    [[nodiscard]] static Expected<std::unique_ptr<HttpEndpoint>> start(transport::EventLoop& loop,
                                                                       const std::string& address,
                                                                       Render render);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // The port bound (the one asked for; useful when it was given as 0 in tests).
    [[nodiscard]] int port() const { return port_; }

  private:
    struct Client {
        executors::UniqueFd fd;
        std::unique_ptr<transport::FdWatch> watch;
        std::chrono::steady_clock::time_point since;  // accepted, or answered
        std::string request;
        bool answered = false;  // then only draining the input until EOF
        std::size_t drained = 0;
    };

    HttpEndpoint(transport::EventLoop& loop, Render render);
    void on_acceptable();
    void on_readable(std::uint64_t id);
    // After the answer: true while the client may still send (keep it).
    [[nodiscard]] bool drain(Client& client);
    void respond(int fd, std::string_view head_of_request);
    void close_slow_clients();

    transport::EventLoop& loop_;
    Render render_;
    executors::UniqueFd listen_fd_;
    std::unique_ptr<transport::FdWatch> watch_;
    std::map<std::uint64_t, Client> clients_;
    std::uint64_t next_id_ = 1;
    transport::Timer sweep_;
    int port_ = 0;
};

// The response to one request head (request line and headers): 200 with the
// metrics for GET /metrics, 404, 405 or 400 otherwise. For tests.
[[nodiscard]] std::string http_response(std::string_view head,
                                        const std::function<std::string()>& render);

}  // namespace outpost::metrics
