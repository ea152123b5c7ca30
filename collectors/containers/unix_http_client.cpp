#include "collectors/containers/unix_http_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace outpost::collectors::containers {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket on every path out of unix_http_get.
class Socket {
  public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    [[nodiscard]] int fd() const { return fd_; }

  private:
    int fd_;
};

std::string errno_text(int error) {
    return std::strerror(error);
}

ErrorKind kind_of_errno(int error) {
    switch (error) {
        case ENOENT:
            return ErrorKind::not_found;
        case EACCES:
        case EPERM:
            return ErrorKind::permission;
        default:
            return ErrorKind::io;
    }
}

// Waits for `events` on `fd` until `deadline`. false: the deadline passed.
Expected<bool> wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd entry{fd, events, 0};
        const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return fail(ErrorKind::io, "poll: " + errno_text(errno));
    }
}

std::unexpected<Error> timed_out(const UnixHttpRequest& request, std::string_view stage) {
    return fail(ErrorKind::timed_out,
                "no answer from " + request.socket_path + " in time (" + std::string(stage) + ")");
}

// A connected non-blocking socket. A unix socket connects at once or fails,
// except when the listener's backlog is full (EAGAIN): then try again until
// the deadline, as a blocking connect would have waited.
Expected<int> connect_unix(const UnixHttpRequest& request) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (request.socket_path.size() >= sizeof(address.sun_path)) {
        return fail(ErrorKind::invalid_input, "socket path too long: " + request.socket_path);
    }
    std::memcpy(address.sun_path, request.socket_path.c_str(), request.socket_path.size() + 1);
    for (;;) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) return fail(ErrorKind::io, "socket: " + errno_text(errno));
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0)
            return fd;
        const int error = errno;
        ::close(fd);
        if (error != EAGAIN && error != EINTR) {
            return fail(kind_of_errno(error),
                        "connect to " + request.socket_path + ": " + errno_text(error));
        }
        if (Clock::now() >= request.deadline)
            return timed_out(request, "connect: listener backlog full");
        ::usleep(5000);
    }
}

Expected<void> send_all(const Socket& socket, std::string_view bytes,
                        const UnixHttpRequest& request) {
    while (!bytes.empty()) {
        const ssize_t sent = ::send(socket.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent >= 0) {
            bytes.remove_prefix(static_cast<std::size_t>(sent));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN)
            return fail(ErrorKind::io, "send to " + request.socket_path + ": " + errno_text(errno));
        auto ready = wait_for(socket.fd(), POLLOUT, request.deadline);
        if (!ready) return std::unexpected(ready.error());
        if (!*ready) return timed_out(request, "sending the request");
    }
    return {};
}

// Whether the bytes so far are worth a parse: re-parsing a growing chunked
// body on every read would cost O(n²), so the whole-response parse runs only
// once the known length has arrived or when the bytes end the way a chunked
// body ends (a CRLF CRLF after the last chunk or trailer).
bool may_be_complete(std::string_view bytes, const std::optional<ResponseHead>& head) {
    if (!head) return true;
    switch (head->framing) {
        case BodyFraming::none:
            return true;
        case BodyFraming::content_length:
            return bytes.size() - head->body_offset >= head->content_length;
        case BodyFraming::chunked:
            return bytes.ends_with("\r\n\r\n");
        case BodyFraming::until_close:
            return false;
    }
    return true;
}

Expected<HttpResponse> read_response(const Socket& socket, const UnixHttpRequest& request) {
    std::string bytes;
    std::optional<ResponseHead> head;
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t got = ::recv(socket.fd(), buffer, sizeof(buffer), 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && errno == EAGAIN) {
            auto ready = wait_for(socket.fd(), POLLIN, request.deadline);
            if (!ready) return std::unexpected(ready.error());
            if (!*ready)
                return timed_out(request,
                                 "after " + std::to_string(bytes.size()) + " bytes of response");
            continue;
        }
        // A reset after a complete response is the same as a close.
        const bool closed = got == 0 || (got < 0 && errno == ECONNRESET);
        if (got < 0 && !closed)
            return fail(ErrorKind::io,
                        "recv from " + request.socket_path + ": " + errno_text(errno));
        if (got > 0) bytes.append(buffer, static_cast<std::size_t>(got));
        if (bytes.size() > request.max_response_bytes) {
            return fail(ErrorKind::invalid_input,
                        "response from " + request.socket_path + " exceeds " +
                            std::to_string(request.max_response_bytes) + " bytes; stopped reading");
        }
        if (!head) {
            auto parsed = parse_response_head(bytes, closed);
            if (!parsed) return std::unexpected(parsed.error());
            head = *parsed;
            if (head && head->framing == BodyFraming::content_length &&
                head->content_length > request.max_response_bytes) {
                return fail(ErrorKind::invalid_input,
                            "response from " + request.socket_path + " announces " +
                                std::to_string(head->content_length) +
                                " bytes, more than the limit of " +
                                std::to_string(request.max_response_bytes));
            }
        }
        if (!closed && !may_be_complete(bytes, head)) continue;
        auto response = parse_http_response(bytes, closed);
        if (!response) return std::unexpected(response.error());
        if (*response) return std::move(**response);
        // The reader completes or refuses every answer once the peer has
        // closed; were that ever broken, recv() would return 0 at once
        // forever, so do not ask again.
        if (closed) return fail(ErrorKind::io, "connection closed before a complete response");
    }
}

}  // namespace

Expected<void> check_target(std::string_view target) {
    if (!target.starts_with('/'))
        return fail(ErrorKind::invalid_input, "request target does not start with '/'");
    for (std::size_t i = 0; i < target.size(); ++i) {
        const auto byte = static_cast<unsigned char>(target[i]);
        if (byte <= 0x20 || byte >= 0x7f || byte == '#') {
            return fail(ErrorKind::invalid_input, "request target has byte " +
                                                      std::to_string(byte) + " at offset " +
                                                      std::to_string(i) + ": not sent");
        }
    }
    return {};
}

Expected<HttpResponse> unix_http_get(const UnixHttpRequest& request) {
    // Refused before connecting: nothing of it reaches the engine.
    if (auto checked = check_target(request.target); !checked)
        return std::unexpected(checked.error());
    auto fd = connect_unix(request);
    if (!fd) return std::unexpected(fd.error());
    const Socket socket(*fd);
    const std::string message = "GET " + request.target +
                                " HTTP/1.1\r\nHost: docker\r\nUser-Agent: outpost\r\n"
                                "Accept: application/json\r\nConnection: close\r\n\r\n";
    if (auto sent = send_all(socket, message, request); !sent) return std::unexpected(sent.error());
    return read_response(socket, request);
}

}  // namespace outpost::collectors::containers
