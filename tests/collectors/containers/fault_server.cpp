#include "tests/collectors/containers/fault_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace outpost::test_support {
namespace {

constexpr std::uint64_t gigabyte = 1ULL << 30;

std::runtime_error system_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

FaultServer::FaultServer(std::filesystem::path socket_path, Fault fault, std::string canned)
    : path_(std::move(socket_path)), fault_(fault), canned_(std::move(canned)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = path_.string();
    if (path.size() >= sizeof(address.sun_path))
        throw std::runtime_error("socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw system_error("socket");
    if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 16) != 0) {
        ::close(listener_);
        throw system_error("bind/listen " + path);
    }
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (stop_fd_ < 0) {
        ::close(listener_);
        throw system_error("eventfd");
    }
    thread_ = std::thread([this] { serve(); });
}

FaultServer::~FaultServer() {
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
    thread_.join();
    ::close(listener_);
    ::close(stop_fd_);
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
}

// Waits for `events` on `fd`; false when the server is stopping (or on
// timeout, -1 for none).
bool FaultServer::wait_or_stop(int fd, short events, int timeout_ms) {
    pollfd entries[2] = {{fd, events, 0}, {stop_fd_, POLLIN, 0}};
    for (;;) {
        const int ready = ::poll(entries, 2, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0 || (entries[1].revents & POLLIN) != 0) return false;
        return true;
    }
}

// Whether the destructor asked the thread to stop, waiting up to
// `timeout_ms` (-1: until it does).
bool FaultServer::stopping(int timeout_ms) {
    pollfd entry{stop_fd_, POLLIN, 0};
    for (;;) {
        const int ready = ::poll(&entry, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        return ready > 0;
    }
}

bool FaultServer::send_bytes(int client, std::string_view bytes) {
    while (!bytes.empty()) {
        if (!wait_or_stop(client, POLLOUT, -1)) return false;
        const ssize_t sent =
            ::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (sent <= 0) return false;  // the client went away (EPIPE, ECONNRESET)
        sent_ += static_cast<std::uint64_t>(sent);
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

void FaultServer::serve() {
    while (wait_or_stop(listener_, POLLIN, -1)) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        ++connections_;
        answer(client);
        ::close(client);
    }
}

void FaultServer::answer(int client) {
    // The request's head (a GET has no body); give up on a client that
    // sends no complete head.
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
        if (!wait_or_stop(client, POLLIN, 5000)) return;
        const ssize_t got = ::recv(client, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (got <= 0) return;
        request.append(buffer, static_cast<std::size_t>(got));
    }
    switch (fault_) {
        case Fault::hang_after_accept:
            (void)stopping(-1);
            return;
        case Fault::nonsense:
            (void)send_bytes(client, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n\x01\x02garbage");
            return;
        case Fault::stream_gigabyte: {
            if (!send_bytes(client,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n")) {
                return;
            }
            const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
            for (std::uint64_t body = 0; body < gigabyte; body += 0x10000) {
                if (!send_bytes(client, chunk)) return;
            }
            (void)send_bytes(client, "0\r\n\r\n");
            return;
        }
        case Fault::close_mid_body:
            (void)send_bytes(client, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n[{\"Id\":");
            return;
        case Fault::wrong_chunk_size:
            (void)send_bytes(
                client,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{}]  \r\n0\r\n\r\n");
            return;
        case Fault::slow_drip: {
            const std::string_view answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]";
            for (char byte : answer) {
                if (!send_bytes(client, std::string_view(&byte, 1))) return;
                if (stopping(50)) return;
            }
            return;
        }
        case Fault::canned:
            (void)send_bytes(client, canned_);
            return;
    }
}

}  // namespace outpost::test_support
