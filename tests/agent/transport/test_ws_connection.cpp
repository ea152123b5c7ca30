#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/spki_pin.hpp"
#include "agent/transport/ws_connection.hpp"
#include "test_certs.hpp"
#include "test_server.hpp"

using namespace outpost::transport;
using namespace outpost::transport::test;
using namespace std::chrono_literals;

namespace {

// Records every event; `terminal` counts the terminal ones.
struct Recorder {
    std::optional<std::string> opened;
    std::vector<std::string> messages;
    std::vector<size_t> too_large;
    std::vector<std::string> invalid;
    std::optional<std::pair<int, std::optional<int>>> refused;
    std::optional<std::string> failure;
    std::optional<std::string> foreign;
    std::optional<std::pair<std::optional<int>, std::string>> closed;
    int terminal = 0;

    WsConnection::Events events() {
        WsConnection::Events e;
        e.on_open = [this](std::string_view p) { opened = std::string(p); };
        e.on_message = [this](std::string_view m) { messages.emplace_back(m); };
        e.on_too_large = [this](size_t n) { too_large.push_back(n); };
        e.on_invalid = [this](std::string w) { invalid.push_back(std::move(w)); };
        e.on_refused = [this](int s, std::optional<int> r) {
            refused = {s, r};
            ++terminal;
        };
        e.on_failure = [this](std::string c) {
            failure = std::move(c);
            ++terminal;
        };
        e.on_foreign_subprotocol = [this](std::string p) {
            foreign = std::move(p);
            ++terminal;
        };
        e.on_closed = [this](std::optional<int> c, std::string r) {
            closed = {c, std::move(r)};
            ++terminal;
        };
        return e;
    }
};

ConnectSettings settings_for(int port, std::string path = "/v1/agent") {
    ConnectSettings s;
    s.url = "wss://127.0.0.1:" + std::to_string(port) + path;
    s.tls.ca_file = test_pki().ca_cert;
    s.node_id = "node-1";
    s.user_agent = "outpost/0.1.0";
    s.connect_timeout = 5s;
    return s;
}

// ws:// to 127.0.0.1:port (insecure_plaintext).
ConnectSettings plaintext_settings(int port) {
    ConnectSettings s;
    s.url = "ws://127.0.0.1:" + std::to_string(port) + "/";
    s.tls.insecure_plaintext = true;
    s.node_id = "node-1";
    return s;
}

TestServer& tls_server(int refuse_status = 0, std::optional<int> retry_after = std::nullopt) {
    TestServer& server = shared_tls_server();
    server.reset(refuse_status, retry_after);
    return server;
}

struct Fixture {
    std::unique_ptr<EventLoop> loop;
    Recorder rec;
    std::unique_ptr<WsConnection> conn;

    Fixture() {
        auto created = EventLoop::create();
        REQUIRE(created);
        loop = std::move(*created);
        conn = std::make_unique<WsConnection>(*loop, rec.events());
    }
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        return loop->run_until(done, limit);
    }
    void open(const ConnectSettings& s, std::string token = "tok-123") {
        REQUIRE(conn->connect(s, std::move(token)));
        REQUIRE(run_until([&] { return rec.opened || rec.terminal > 0; }));
        INFO(rec.failure.value_or(""));
        REQUIRE(rec.opened);
    }
};

}  // namespace

TEST_CASE("connects over TLS with ca_file, the server sees our handshake headers") {
    TestServer& server = tls_server();
    Fixture f;
    auto s = settings_for(server.port());
    s.subprotocols = {"outpost.v2", "outpost.v1"};
    const std::string token(5000, 't');  // a 4 KB+ token must fit
    f.open(s, token);
    CHECK(*f.rec.opened == "outpost.v1");
    CHECK(f.conn->state() == WsConnection::State::kOpen);
    const Seen seen = server.seen();
    CHECK(seen.authorization == "Bearer " + token);
    CHECK(seen.agent_id == "node-1");
    CHECK(seen.user_agent == "outpost/0.1.0");
    CHECK(seen.offered_protocols == "outpost.v2, outpost.v1");
    // lws sets TCP_NODELAY on client sockets itself.
    int nodelay = 0;
    socklen_t len = sizeof nodelay;
    REQUIRE(getsockopt(f.conn->native_fd(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &len) == 0);
    CHECK(nodelay != 0);
    f.conn->close(1000, "done");
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.closed);
    CHECK(f.rec.closed->first == 1000);
    CHECK(f.rec.terminal == 1);
    CHECK(f.run_until([&] { return server.seen().peer_close_code.has_value(); }, 2s));
    CHECK(server.seen().peer_close_code == 1000);
}

TEST_CASE("messages echo both ways, including a fragmented 300 KB message") {
    TestServer& server = tls_server();
    Fixture f;
    f.open(settings_for(server.port()));
    REQUIRE(f.conn->send("hello"));
    const std::string big(300 * 1024, 'm');
    REQUIRE(f.conn->send(big));
    CHECK(f.conn->queued_messages() == 2);
    CHECK(f.conn->queued_bytes() == 5 + big.size());
    CHECK(f.run_until([&] { return f.rec.messages.size() == 2; }));
    REQUIRE(f.rec.messages.size() == 2);
    CHECK(f.rec.messages[0] == "hello");
    CHECK(f.rec.messages[1] == big);
    CHECK(f.conn->queued_messages() == 0);
    CHECK(f.conn->queued_bytes() == 0);
    CHECK(server.seen().message_sizes == std::vector<size_t>{5, big.size()});
    CHECK(f.rec.terminal == 0);
}

TEST_CASE("a too-large inbound message is discarded and the connection kept") {
    TestServer& server = tls_server();
    Fixture f;
    auto s = settings_for(server.port());
    s.max_message_bytes = 64 * 1024;
    f.open(s);
    REQUIRE(f.conn->send("cmd:big:200000"));
    CHECK(f.run_until([&] { return !f.rec.too_large.empty(); }));
    CHECK(f.rec.too_large == std::vector<size_t>{200000});
    REQUIRE(f.conn->send("cmd:binary"));
    CHECK(f.run_until([&] { return !f.rec.invalid.empty(); }));
    REQUIRE(f.conn->send("still here"));
    CHECK(f.run_until([&] { return !f.rec.messages.empty(); }));
    CHECK(f.rec.messages == std::vector<std::string>{"still here"});
    CHECK(f.rec.terminal == 0);
    // Outbound messages over the limit are refused at send().
    CHECK_FALSE(f.conn->send(std::string(64 * 1024 + 1, 'x')));
}

TEST_CASE("the server's close code is delivered") {
    TestServer& server = tls_server();
    Fixture f;
    f.open(settings_for(server.port()));
    REQUIRE(f.conn->send("cmd:close:4003"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.closed);
    CHECK(f.rec.closed->first == 4003);
    CHECK(f.rec.closed->second == "bye");
    CHECK(f.conn->state() == WsConnection::State::kIdle);
    CHECK(f.conn->native_fd() == -1);
    // Reusable for the next attempt.
    f.rec = Recorder{};
    f.conn = std::make_unique<WsConnection>(*f.loop, f.rec.events());
    f.open(settings_for(server.port()));
}

TEST_CASE("a TCP drop gives on_closed without a code") {
    TestServer& server = tls_server();
    Fixture f;
    f.open(settings_for(server.port()));
    REQUIRE(f.conn->send("cmd:drop"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.closed);
    CHECK_FALSE(f.rec.closed->first.has_value());
    CHECK(f.rec.terminal == 1);
}

TEST_CASE("abort() ends an open connection without a code") {
    TestServer& server = tls_server();
    Fixture f;
    f.open(settings_for(server.port()));
    f.conn->abort();
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.closed);
    CHECK_FALSE(f.rec.closed->first.has_value());
    CHECK(f.rec.closed->second == "aborted");
}

TEST_CASE("a wrong CA fails before any HTTP is sent") {
    TestServer& server = tls_server();
    Fixture f;
    auto s = settings_for(server.port());
    s.tls.ca_file = test_pki().other_ca_cert;
    REQUIRE(f.conn->connect(s, "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.failure);
    INFO(*f.rec.failure);
    CHECK_FALSE(f.rec.failure->empty());
    CHECK(f.rec.terminal == 1);
    f.run_until([] { return false; }, 100ms);
    CHECK(server.seen().upgrades == 0);
    CHECK(server.seen().authorization.empty());
}

TEST_CASE("an SPKI pin mismatch fails before the token is sent") {
    TestServer& server = tls_server();
    Fixture f;
    auto s = settings_for(server.port());
    s.tls.spki_pins = {SpkiPin{}};
    REQUIRE(f.conn->connect(s, "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.failure);
    CHECK(f.rec.failure->find("pin mismatch") != std::string::npos);
    f.run_until([] { return false; }, 100ms);
    CHECK(server.seen().upgrades == 0);
    CHECK(server.seen().authorization.empty());
}

TEST_CASE("a matching SPKI pin (as the openssl CLI computes it) connects") {
    TestServer& server = tls_server();
    Fixture f;
    auto s = settings_for(server.port());
    auto pin = parse_pin(test_pki().server_pin);
    REQUIRE(pin);
    s.tls.spki_pins = {SpkiPin{}, *pin};
    f.open(s);
}

TEST_CASE("a pin may name any key of the verified chain: the CA's connects, a stranger's not") {
    // protocol.md §1: "a chain that verifies but matches no pin is rejected".
    TestServer& server = tls_server();
    {
        Fixture f;
        auto s = settings_for(server.port());
        auto pin = parse_pin(test_pki().ca_pin);
        REQUIRE(pin);
        s.tls.spki_pins = {*pin};
        f.open(s);
    }
    Fixture f;
    auto s = settings_for(server.port());
    auto pin = parse_pin(test_pki().other_ca_pin);
    REQUIRE(pin);
    s.tls.spki_pins = {*pin};
    REQUIRE(f.conn->connect(s, "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.failure);
    CHECK(f.rec.failure->find("pin mismatch") != std::string::npos);
    CHECK(f.rec.failure->find(test_pki().server_pin) != std::string::npos);  // names its own key
}

TEST_CASE("401 is delivered to on_refused") {
    TestServer& server = tls_server(401);
    Fixture f;
    REQUIRE(f.conn->connect(settings_for(server.port()), "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.refused);
    CHECK(f.rec.refused->first == 401);
    CHECK_FALSE(f.rec.refused->second.has_value());
    CHECK(f.rec.terminal == 1);
}

TEST_CASE("503 with Retry-After is delivered to on_refused") {
    TestServer& server = tls_server(503, 7);
    Fixture f;
    REQUIRE(f.conn->connect(settings_for(server.port()), "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    REQUIRE(f.rec.refused);
    CHECK(f.rec.refused->first == 503);
    CHECK(f.rec.refused->second == 7);
}

TEST_CASE("a 101 naming a subprotocol we did not offer is on_foreign_subprotocol, not a failure") {
    // lws refuses that handshake itself ("HS: PROTOCOL malformed"); found
    // by an independent control plane: it used to be an ordinary network
    // failure (backoff), not the version mismatch of protocol.md §1.
    TestServer& server = shared_tls_server();
    server.reset(0, std::nullopt, "outpost.v9");
    Fixture f;
    REQUIRE(f.conn->connect(settings_for(server.port()), "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }));
    INFO(f.rec.failure.value_or(""));
    REQUIRE(f.rec.foreign);
    CHECK(*f.rec.foreign == "outpost.v9");
    CHECK_FALSE(f.rec.opened);
    CHECK(f.rec.terminal == 1);
    CHECK(f.conn->state() == WsConnection::State::kIdle);
}

TEST_CASE("connection refused and connect timeout are failures") {
    Fixture f;
    // A listening socket that never accepts: TCP connects, TLS never answers.
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listener, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const int port = ntohs(addr.sin_port);

    auto s = settings_for(port);
    s.connect_timeout = 1s;
    REQUIRE(f.conn->connect(s, "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 0; }, 5s));
    REQUIRE(f.rec.failure);
    CHECK(f.rec.failure->find("timeout") != std::string::npos);
    close(listener);

    // Nothing listens there any more.
    f.rec.failure.reset();
    REQUIRE(f.conn->connect(s, "tok-123"));
    CHECK(f.run_until([&] { return f.rec.terminal > 1; }, 5s));
    REQUIRE(f.rec.failure);
    CHECK(f.rec.terminal == 2);
}

TEST_CASE("immediate errors are returned by connect()") {
    Fixture f;
    auto s = settings_for(1);
    s.url = "ws://127.0.0.1:1/";
    CHECK_FALSE(f.conn->connect(s, "tok"));  // plaintext needs insecure_plaintext
    s.url = "https://127.0.0.1:1/";
    CHECK_FALSE(f.conn->connect(s, "tok"));
    s.url = "wss://127.0.0.1:1/";
    CHECK_FALSE(f.conn->connect(s, ""));
    CHECK_FALSE(f.conn->connect(s, "tok\r\nX-Evil: 1"));
    s.tls.ca_file = "/nonexistent/ca.pem";
    const auto missing = f.conn->connect(s, "tok");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("/nonexistent/ca.pem") != std::string::npos);
    s.tls.ca_file = test_pki().server_key;  // not a certificate
    CHECK_FALSE(f.conn->connect(s, "tok"));
    CHECK(f.conn->state() == WsConnection::State::kIdle);
    CHECK_FALSE(f.conn->send("x"));
}

namespace {

// A bare WebSocket server on a plain socket, written from RFC 6455 alone: it
// answers one upgrade with outpost.v1 and records the frames of the first
// text message exactly as they arrive (lws would reassemble them).
class FrameRecorder {
  public:
    struct Frame {
        int opcode = 0;
        bool fin = false;
        size_t length = 0;
    };

    // receive_buffer: SO_RCVBUF of the accepted socket (0: the kernel's).
    explicit FrameRecorder(int receive_buffer = 0) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(listen_fd_ >= 0);
        if (receive_buffer > 0) {
            REQUIRE(::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                                 sizeof receive_buffer) == 0);
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listen_fd_, 1) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FrameRecorder() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] bool message_done() const { return message_done_; }
    [[nodiscard]] std::vector<Frame> frames() const {
        std::lock_guard lock(mutex_);
        return frames_;
    }
    [[nodiscard]] std::string message() const {
        std::lock_guard lock(mutex_);
        return message_;
    }
    // While paused, the server reads nothing more (a slow uplink).
    void pause_reading(bool paused) { paused_ = paused; }

  private:
    // recv with a 100 ms poll, until stop_; false at EOF, error or stop.
    bool read_some(int fd, std::string& into) {
        while (!stop_) {
            if (paused_) {
                std::this_thread::sleep_for(10ms);
                continue;
            }
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return false;
            into.append(buf, static_cast<size_t>(n));
            return true;
        }
        return false;
    }
    void serve() {
        int fd = -1;
        while (!stop_ && fd < 0) {
            pollfd p{listen_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) > 0) fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        }
        if (fd < 0) return;
        std::string in;
        while (in.find("\r\n\r\n") == std::string::npos)
            if (!read_some(fd, in)) return (void)::close(fd);
        const size_t head_end = in.find("\r\n\r\n") + 4;
        std::string head = in.substr(0, head_end);
        in.erase(0, head_end);
        std::string lower = head;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const size_t at = lower.find("sec-websocket-key:");
        if (at == std::string::npos) return (void)::close(fd);
        size_t begin = at + 18;
        while (head[begin] == ' ') ++begin;
        const std::string key = head.substr(begin, head.find("\r\n", begin) - begin);
        const std::string salted = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        unsigned char digest[SHA_DIGEST_LENGTH];
        SHA1(reinterpret_cast<const unsigned char*>(salted.data()), salted.size(), digest);
        unsigned char accept[64] = {};
        EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
        const std::string answer = std::string("HTTP/1.1 101 Switching Protocols\r\n") +
                                   "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
                                   "Sec-WebSocket-Accept: " + reinterpret_cast<char*>(accept) +
                                   "\r\nSec-WebSocket-Protocol: outpost.v1\r\n\r\n";
        (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
        for (;;) {
            // One frame: 2 header bytes, extended length, 4 mask bytes, payload.
            while (in.size() < 2)
                if (!read_some(fd, in)) return (void)::close(fd);
            const auto b0 = static_cast<unsigned char>(in[0]);
            const auto b1 = static_cast<unsigned char>(in[1]);
            size_t header = 2;
            std::uint64_t length = b1 & 0x7F;
            const size_t extended = length == 126 ? 2 : length == 127 ? 8 : 0;
            while (in.size() < header + extended + 4)
                if (!read_some(fd, in)) return (void)::close(fd);
            if (extended) {
                length = 0;
                for (size_t i = 0; i < extended; ++i)
                    length = (length << 8) | static_cast<unsigned char>(in[header + i]);
                header += extended;
            }
            const std::string mask = in.substr(header, 4);
            header += 4;
            while (in.size() < header + length)
                if (!read_some(fd, in)) return (void)::close(fd);
            std::string payload = in.substr(header, length);
            for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
            in.erase(0, header + length);
            const int opcode = b0 & 0x0F;
            if (opcode >= 0x8) continue;  // control frames are not the message
            std::lock_guard lock(mutex_);
            frames_.push_back(Frame{opcode, (b0 & 0x80) != 0, payload.size()});
            message_ += payload;
            if (b0 & 0x80) break;
        }
        message_done_ = true;
        while (!stop_) std::this_thread::sleep_for(10ms);
        ::close(fd);
    }

    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<bool> message_done_{false};
    std::atomic<bool> paused_{false};
    mutable std::mutex mutex_;
    std::vector<Frame> frames_;
    std::string message_;
    std::thread thread_;  // last: starts once the rest exists
};

}  // namespace

TEST_CASE("a message goes out as one text frame, however large (protocol.md §3)") {
    // Found by an independent control plane: messages over 16 KiB arrived
    // as a TEXT frame and CONTINUATION frames, while §3 says every message
    // is one UTF-8 text frame.
    FrameRecorder server;
    Fixture f;
    f.open(plaintext_settings(server.port()));
    std::string big;
    for (int i = 0; big.size() < 700 * 1024; ++i)
        big += "\xE2\x82\xAC line " + std::to_string(i) + "\n";
    REQUIRE(f.conn->send(big));
    CHECK(f.run_until([&] { return server.message_done(); }));
    const auto frames = server.frames();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].opcode == 1);  // text
    CHECK(frames[0].fin);
    CHECK(frames[0].length == big.size());
    CHECK(server.message() == big);
}

TEST_CASE("fully_written: not while lws still holds part of a message the socket did not take") {
    // A graceful stop waits for this before its close frame (SessionDriver::
    // flushed), so the tail of a large last message is not cut off.
    FrameRecorder server(/*receive_buffer=*/16 * 1024);
    Fixture f;
    auto settings = plaintext_settings(server.port());
    settings.max_message_bytes = 16 * 1024 * 1024;
    f.open(settings);
    CHECK(f.conn->fully_written());
    f.run_until([] { return false; }, 200ms);  // the server reads the upgrade, then stops
    server.pause_reading(true);
    // More than the server's 16 KiB and this side's socket buffer (at most
    // tcp_wmem's 4 MiB here) take.
    const std::string big(12 * 1024 * 1024, 'x');
    REQUIRE(f.conn->send(big));
    CHECK_FALSE(f.conn->fully_written());
    REQUIRE(f.run_until([&] { return f.conn->queued_messages() == 0; }));
    f.run_until([] { return false; }, 300ms);
    CHECK_FALSE(f.conn->fully_written());  // lws took it, the kernel did not yet
    server.pause_reading(false);
    CHECK(f.run_until([&] { return f.conn->fully_written() && server.message_done(); }, 20s));
    CHECK(server.message().size() == big.size());
}

TEST_CASE("plain ws:// works with insecure_plaintext and ignores http_proxy") {
    ServerOptions o;
    o.tls = false;
    TestServer server(o);
    // lws would read http_proxy by itself; we pin vhosts to direct.
    setenv("http_proxy", "127.0.0.1:9", 1);
    Fixture f;
    f.open(plaintext_settings(server.port()));
    unsetenv("http_proxy");
    REQUIRE(f.conn->send("plain"));
    CHECK(f.run_until([&] { return !f.rec.messages.empty(); }));
}

TEST_CASE("destroying a connection mid-flight sends no events and leaks nothing") {
    TestServer& server = tls_server();
    Fixture f;
    REQUIRE(f.conn->connect(settings_for(server.port()), "tok-123"));
    f.conn.reset();
    f.run_until([] { return false; }, 200ms);
    CHECK(f.rec.terminal == 0);

    f.conn = std::make_unique<WsConnection>(*f.loop, f.rec.events());
    f.open(settings_for(server.port()));
    REQUIRE(f.conn->send("bye"));
    f.conn.reset();
    f.run_until([] { return false; }, 200ms);
    CHECK(f.rec.terminal == 0);
}
