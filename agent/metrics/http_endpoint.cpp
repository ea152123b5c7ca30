#include "agent/metrics/http_endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/log/log.hpp"
#include "agent/metrics/exposition.hpp"

namespace outpost::metrics {
namespace {

constexpr std::string_view kLog = "metrics";
constexpr int kAcceptsPerPass = 16;
// Room for the whole answer in one send (the metrics are tens of KiB).
constexpr int kSendBuffer = 512 * 1024;

std::string reply(std::string_view status, std::string_view content_type, std::string_view body) {
    std::string out = "HTTP/1.1 ";
    out += status;
    out += "\r\nContent-Type: ";
    out += content_type;
    out += "\r\nContent-Length: " + std::to_string(body.size());
    out += "\r\nConnection: close\r\n\r\n";
    out += body;
    return out;
}

struct Bound {
    executors::UniqueFd fd;
    int port = 0;
};

Expected<Bound> bind_loopback(const std::string& address) {
    const bool v6 = address.starts_with("[::1]:");
    const std::string_view port_text = std::string_view(address).substr(v6 ? 6 : 10);
    int port = 0;
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    Bound b;
    b.fd.reset(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!b.fd.valid())
        return fail(ErrorKind::io, "metrics.listen: " + std::string(std::strerror(errno)));
    int one = 1;
    ::setsockopt(b.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc = 0;
    if (v6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        a.sin6_port = htons(static_cast<std::uint16_t>(port));
        rc = ::bind(b.fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a));
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        rc = ::bind(b.fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a));
    }
    if (rc != 0 || ::listen(b.fd.get(), 16) != 0) {
        return fail(ErrorKind::io, "metrics.listen " + address + ": " + std::strerror(errno));
    }
    sockaddr_storage bound{};
    socklen_t size = sizeof(bound);
    ::getsockname(b.fd.get(), reinterpret_cast<sockaddr*>(&bound), &size);
    b.port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return b;
}

}  // namespace

std::string http_response(std::string_view head, const std::function<std::string()>& render) {
    const auto line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    // "METHOD SP TARGET SP HTTP/1.x"
    const auto first = line.find(' ');
    const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos || !line.substr(second + 1).starts_with("HTTP/1.")) {
        return reply("400 Bad Request", "text/plain", "bad request\n");
    }
    const std::string_view method = line.substr(0, first);
    std::string_view target = line.substr(first + 1, second - first - 1);
    target = target.substr(0, target.find('?'));  // Prometheus may add none; curl users might
    if (target != "/metrics") return reply("404 Not Found", "text/plain", "try /metrics\n");
    if (method == "HEAD") {
        std::string full = reply("200 OK", kContentType, render());
        return full.substr(0, full.find("\r\n\r\n") + 4);
    }
    if (method != "GET") return reply("405 Method Not Allowed", "text/plain", "GET only\n");
    return reply("200 OK", kContentType, render());
}

HttpEndpoint::HttpEndpoint(transport::EventLoop& loop, Render render)
    : loop_(loop), render_(std::move(render)), sweep_(loop) {}

HttpEndpoint::~HttpEndpoint() {
    sweep_.cancel();
    clients_.clear();
    watch_.reset();
}

Expected<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(transport::EventLoop& loop,
                                                            const std::string& address,
                                                            Render render) {
    auto bound = bind_loopback(address);
    if (!bound) return std::unexpected(bound.error());
    std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(loop, std::move(render)));
    endpoint->listen_fd_ = std::move(bound->fd);
    endpoint->port_ = bound->port;
    HttpEndpoint* self = endpoint.get();
    auto watch =
        transport::FdWatch::create(loop, self->listen_fd_.get(), [self] { self->on_acceptable(); });
    if (!watch) return std::unexpected(watch.error().context("metrics.listen"));
    endpoint->watch_ = std::move(*watch);
    return endpoint;
}

void HttpEndpoint::on_acceptable() {
    for (int i = 0; i < kAcceptsPerPass; ++i) {
        int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or an error the next readiness retries
        executors::UniqueFd client(fd);
        if (clients_.size() >= kMaxClients) continue;  // closed: too many waiting
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBuffer, sizeof(kSendBuffer));
        const std::uint64_t id = next_id_++;
        auto watch = transport::FdWatch::create(loop_, fd, [this, id] { on_readable(id); });
        if (!watch) continue;
        clients_[id] =
            Client{std::move(client), std::move(*watch), std::chrono::steady_clock::now(), {}};
        if (!sweep_.pending()) sweep_.schedule(kRequestLimit, [this] { close_slow_clients(); });
    }
}

void HttpEndpoint::on_readable(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& c = it->second;
    if (c.answered) {
        if (!drain(c)) clients_.erase(it);
        return;
    }
    char buffer[4096];
    ssize_t n = ::recv(c.fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        clients_.erase(it);  // gone, or closed before asking
        return;
    }
    c.request.append(buffer, static_cast<std::size_t>(n));
    const auto end = c.request.find("\r\n\r\n");
    if (end == std::string::npos && c.request.size() < kMaxRequestBytes) return;
    if (end == std::string::npos) {
        respond(c.fd.get(), "");  // over the limit: answered below as 431
    } else {
        respond(c.fd.get(), std::string_view(c.request).substr(0, end + 2));
    }
    c.answered = true;
    c.since = std::chrono::steady_clock::now();
    c.request.clear();
    c.request.shrink_to_fit();
    if (!drain(c)) clients_.erase(it);
}

bool HttpEndpoint::drain(Client& client) {
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(client.fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (n <= 0) return false;  // EOF: the client has all it will read
        client.drained += static_cast<std::size_t>(n);
        if (client.drained > kMaxDrainBytes) return false;
    }
}

void HttpEndpoint::respond(int fd, std::string_view head) {
    const std::string response =
        head.empty() ? reply("431 Request Header Fields Too Large", "text/plain", "too large\n")
                     : http_response(head, render_);
    ssize_t sent = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent != static_cast<ssize_t>(response.size())) {
        log::debug(kLog, "metrics.listen: answer not sent whole; client closed");
    }
    ::shutdown(fd, SHUT_WR);
}

void HttpEndpoint::close_slow_clients() {
    const auto now = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> next_due;
    for (auto it = clients_.begin(); it != clients_.end();) {
        const auto limit = it->second.answered ? kLingerLimit : kRequestLimit;
        if (now - it->second.since >= limit) {
            it = clients_.erase(it);
            continue;
        }
        const auto due = it->second.since + limit;
        if (!next_due || due < *next_due) next_due = due;
        ++it;
    }
    if (next_due) {
        sweep_.schedule(std::chrono::duration_cast<std::chrono::microseconds>(*next_due - now),
                        [this] { close_slow_clients(); });
    }
}

}  // namespace outpost::metrics
