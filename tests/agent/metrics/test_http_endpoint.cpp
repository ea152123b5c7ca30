// GET /metrics with a real event loop and real TCP clients on loopback: a
// request with a body still gets its whole answer (the endpoint drains before
// it closes, review 23), and requests within a second share one render
// (review 10).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <thread>

#include "agent/metrics/http_endpoint.hpp"
#include "agent/metrics/render_cache.hpp"
#include "agent/transport/event_loop.hpp"

using namespace outpost;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<transport::EventLoop> make_loop() {
    auto loop = transport::EventLoop::create();
    REQUIRE(loop);
    return std::move(*loop);
}

// Connects to 127.0.0.1:port, sends `request` whole (as far as the peer
// lets it), then reads to EOF or 5 s. What a curl with --data does. A small
// receive buffer and a late read keep most of a large answer in the
// server's send queue when it closes: a close with unread input (RST)
// would discard it there.
std::string exchange(int port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket failed";
    const int small = 16 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
        ::close(fd);
        return "connect failed";
    }
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server closed: read what it answered
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::this_thread::sleep_for(200ms);
    std::string answer;
    char buffer[16384];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

// The client runs on a thread while this one services the loop.
std::string ask(transport::EventLoop& loop, int port, const std::string& request) {
    auto answer = std::async(std::launch::async, [&] { return exchange(port, request); });
    const auto limit = std::chrono::steady_clock::now() + 10s;
    while (answer.wait_for(0s) != std::future_status::ready &&
           std::chrono::steady_clock::now() < limit) {
        loop.run_until([] { return false; }, 10ms);
    }
    REQUIRE(answer.wait_for(0s) == std::future_status::ready);
    return answer.get();
}

}  // namespace

TEST_CASE("metrics endpoint: a request with a large body still gets the whole answer",
          "[metrics]") {
    auto loop = make_loop();
    const std::string body_text(400 * 1024, 'm');  // fits the endpoint's send buffer
    auto endpoint = metrics::HttpEndpoint::start(*loop, "127.0.0.1:0", [&] { return body_text; });
    REQUIRE(endpoint);
    const std::string body(256 * 1024, 'x');
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    for (int i = 0; i < 3; ++i) {
        const std::string answer = ask(*loop, (*endpoint)->port(), request);
        CAPTURE(i, answer.size());
        REQUIRE(answer.starts_with("HTTP/1.1 200 OK\r\n"));
        CHECK(answer.ends_with("\r\n\r\n" + body_text));
    }
}

TEST_CASE("metrics endpoint: requests within a second share one render", "[metrics]") {
    auto loop = make_loop();
    int calls = 0;
    auto now = std::chrono::steady_clock::time_point{} + 1h;
    metrics::RenderCache cache([&] { return "outpost_up " + std::to_string(++calls) + "\n"; },
                               metrics::kRenderMaxAge, [&] { return now; });
    auto endpoint =
        metrics::HttpEndpoint::start(*loop, "127.0.0.1:0", [&] { return cache.text(); });
    REQUIRE(endpoint);
    const std::string get = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
        CHECK(ask(*loop, (*endpoint)->port(), get).ends_with("outpost_up 1\n"));
        now += 40ms;  // 20 x 40 ms = 800 ms: all inside the first second
    }
    CHECK(cache.renders() == 1);
    now += 200ms;
    CHECK(ask(*loop, (*endpoint)->port(), get).ends_with("outpost_up 2\n"));
    CHECK(cache.renders() == 2);
}
