#include "fake_poll_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <stdexcept>

namespace outpost::integration {
namespace {

constexpr std::size_t kOversizedBody = 3 * 1024 * 1024;
constexpr int kReadTimeoutMs = 10'000;

SSL_CTX* make_context(const std::string& cert_file, const std::string& key_file) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) throw std::runtime_error("fake poll server: SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx);
        throw std::runtime_error("fake poll server: cannot load " + cert_file);
    }
    return ctx;
}

bool ssl_write_all(SSL* ssl, const std::string& data) {
    std::size_t at = 0;
    while (at < data.size()) {
        const int n = SSL_write(ssl, data.data() + at, static_cast<int>(data.size() - at));
        if (n <= 0) return false;
        at += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads one request: headers, then Content-Length bytes of body (discarded).
// Returns the head, or "" when the peer went away or was too slow.
std::string read_request(SSL* ssl) {
    std::string in;
    std::array<char, 16 * 1024> buf{};
    std::size_t head_end = std::string::npos;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        const int n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
        if (n <= 0) return {};
        in.append(buf.data(), static_cast<std::size_t>(n));
    }
    std::string head = in.substr(0, head_end);
    std::size_t length = 0;
    for (std::size_t at = 0; at < head.size();) {
        const std::size_t eol = std::min(head.find("\r\n", at), head.size());
        std::string line = head.substr(at, eol - at);
        for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (line.starts_with("content-length:")) length = std::stoul(line.substr(15));
        at = eol + 2;
    }
    std::size_t have = in.size() - head_end - 4;
    while (have < length) {
        const int n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
        if (n <= 0) return {};
        have += static_cast<std::size_t>(n);
    }
    return head;
}

std::string reply(const std::string& status, const std::string& type, const std::string& body,
                  const std::string& extra_headers = {}) {
    return "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
           "Connection: close\r\n\r\n" + body;
}

}  // namespace

const char* to_string(PollFault fault) {
    switch (fault) {
        case PollFault::html:
            return "html";
        case PollFault::not_json:
            return "not_json";
        case PollFault::oversized:
            return "oversized";
        case PollFault::redirect:
            return "redirect";
        case PollFault::slow_loris:
            return "slow_loris";
    }
    return "?";
}

FakePollServer::FakePollServer(PollFault fault, const std::string& cert_file,
                               const std::string& key_file, std::string redirect_to)
    : fault_(fault), redirect_to_(std::move(redirect_to)) {
    ssl_ctx_ = make_context(cert_file, key_file);
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        throw std::runtime_error("fake poll server: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
}

FakePollServer::~FakePollServer() {
    stopping_ = true;
    ::close(stop_pipe_[1]);  // wakes the accept poll and the slow-loris drip
    // A read blocked in the middle of a request ends at once.
    if (const int fd = active_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
    ::close(stop_pipe_[0]);
    ::close(listen_fd_);
    SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::string FakePollServer::url() const {
    return "https://localhost:" + std::to_string(port_) + "/v1/poll";
}

std::vector<std::string> FakePollServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void FakePollServer::run() {
    // A write to a connection the agent has closed fails with EPIPE instead
    // of killing the test process: SIGPIPE from a write goes to the writing
    // thread, where it stays blocked (and is discarded when the thread ends).
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    while (!stopping_) {
        std::array<pollfd, 2> fds{pollfd{listen_fd_, POLLIN, 0}, pollfd{stop_pipe_[0], POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), -1) < 0) continue;
        if (fds[1].revents) return;
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        const timeval timeout{.tv_sec = kReadTimeoutMs / 1000, .tv_usec = 0};
        ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        active_fd_ = client;
        serve(client);
        active_fd_ = -1;
        ::close(client);
    }
}

std::string FakePollServer::answer_head() const {
    switch (fault_) {
        case PollFault::html:
            return reply("200 OK", "text/html",
                         "<!DOCTYPE html><html><head><title>Sign in</title></head>"
                         "<body><p>Please sign in to the network.</p></body></html>\n");
        case PollFault::not_json:
            return reply("200 OK", "application/json", "this is {not JSON\n");
        case PollFault::oversized: {
            std::string body = R"({"messages":[{"type":"ping","id":"x","ts":"t","data":{"pad":")";
            body.append(kOversizedBody, 'a');
            body += "\"}}]}";
            return reply("200 OK", "application/json", body);
        }
        case PollFault::redirect:
            return reply("302 Found", "text/plain", "moved\n",
                         "Location: " + redirect_to_ + "\r\n");
        case PollFault::slow_loris:
            return "HTTP/1.1 200 OK\r\n";  // the rest drips in serve()
    }
    return {};
}

void FakePollServer::serve(int client) {
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, client);
    if (SSL_accept(ssl) == 1) {
        std::string head = read_request(ssl);
        if (!head.empty()) {
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(head);
            }
            bool open = ssl_write_all(ssl, answer_head());
            // slow-loris: a header that never ends, one byte a second, until
            // the agent gives up (or the test ends).
            const std::string drip = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            for (std::size_t i = 0; fault_ == PollFault::slow_loris && open && !stopping_; ++i) {
                pollfd stop{stop_pipe_[0], POLLIN, 0};
                if (::poll(&stop, 1, 1000) != 0) break;
                open = ssl_write_all(ssl, std::string(1, drip[i % drip.size()]));
            }
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
}

}  // namespace outpost::integration
