#include "recording_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace outpost::integration {
namespace {

int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool write_all(int fd, const char* data, std::size_t len) {
    while (len > 0) {
        const ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) return false;
        data += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

RecordingRelay::RecordingRelay(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        throw std::runtime_error("recording relay: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { run(); });
}

RecordingRelay::~RecordingRelay() {
    ::close(stop_pipe_[1]);  // wakes every poll below
    acceptor_.join();
    for (auto& w : workers_) w.join();
    ::close(stop_pipe_[0]);
    ::close(listen_fd_);
}

std::vector<RecordingRelay::Capture> RecordingRelay::captures() const {
    std::lock_guard lock(mutex_);
    return captures_;
}

void RecordingRelay::run() {
    while (true) {
        std::array<pollfd, 2> fds{pollfd{listen_fd_, POLLIN, 0}, pollfd{stop_pipe_[0], POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), -1) < 0) continue;
        if (fds[1].revents) return;
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex_);
            index = captures_.size();
            captures_.emplace_back();
        }
        workers_.emplace_back([this, client, index] { relay(client, index); });
    }
}

void RecordingRelay::relay(int client, std::size_t index) {
    const int target = connect_loopback(target_port_);
    if (target < 0) {
        ::close(client);
        return;
    }
    std::array<char, 64 * 1024> buf{};
    bool open = true;
    while (open) {
        std::array<pollfd, 3> fds{pollfd{client, POLLIN, 0}, pollfd{target, POLLIN, 0},
                                  pollfd{stop_pipe_[0], POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), -1) < 0) continue;
        if (fds[2].revents) break;
        for (int side = 0; side < 2 && open; ++side) {
            if (!fds[static_cast<std::size_t>(side)].revents) continue;
            const int from = side == 0 ? client : target;
            const int to = side == 0 ? target : client;
            const ssize_t n = ::recv(from, buf.data(), buf.size(), 0);
            if (n <= 0) {
                open = false;
                break;
            }
            {
                std::lock_guard lock(mutex_);
                auto& c = captures_[index];
                (side == 0 ? c.upstream : c.downstream)
                    .append(buf.data(), static_cast<std::size_t>(n));
            }
            open = write_all(to, buf.data(), static_cast<std::size_t>(n));
        }
    }
    ::close(client);
    ::close(target);
}

std::vector<std::string> websocket_messages(const std::string& bytes) {
    std::vector<std::string> out;
    std::size_t at = bytes.find("\r\n\r\n");
    if (at == std::string::npos) return out;
    at += 4;
    std::string message;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    while (at + 2 <= bytes.size()) {
        const bool fin = (byte(at) & 0x80) != 0;
        const int opcode = byte(at) & 0x0F;
        const bool masked = (byte(at + 1) & 0x80) != 0;
        uint64_t len = byte(at + 1) & 0x7F;
        std::size_t p = at + 2;
        const std::size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        if (p + ext > bytes.size()) break;
        if (ext) {
            len = 0;
            for (std::size_t i = 0; i < ext; ++i) len = (len << 8) | byte(p + i);
            p += ext;
        }
        std::array<unsigned char, 4> mask{};
        if (masked) {
            if (p + 4 > bytes.size()) break;
            for (std::size_t i = 0; i < 4; ++i) mask[i] = byte(p + i);
            p += 4;
        }
        if (p + len > bytes.size()) break;
        std::string payload = bytes.substr(p, static_cast<std::size_t>(len));
        if (masked) {
            for (std::size_t i = 0; i < payload.size(); ++i) {
                payload[i] =
                    static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
            }
        }
        at = p + static_cast<std::size_t>(len);
        if (opcode >= 0x8) continue;  // close, ping, pong: control frames
        message += payload;
        if (fin) out.push_back(std::exchange(message, {}));
    }
    return out;
}

}  // namespace outpost::integration
