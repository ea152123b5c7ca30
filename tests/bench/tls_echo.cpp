// Raw TLS 1.3 baseline over loopback, with the hub's certificate: a forked
// echo server and a blocking client (TCP_NODELAY on both ends, no
// WebSocket, no JSON).
//
//   tls_echo rtt  --certs-dir D [--size 150] [--count 2000] [--warmup 200]
//       round trip of --size bytes written, echoed and read back; one JSON line.
//   tls_echo hold --certs-dir D
//       connects, does one echo, prints {"kind":"hold","pid":..} and then idles
//       (the connection stays open) until stdin closes: the RSS/CPU baseline
//       of "one idle TLS connection" for the idle benchmarks.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.hpp"

namespace {

using namespace outpost::bench;

[[noreturn]] void ssl_die(const char* what) {
    std::fprintf(stderr, "%s: ", what);
    ERR_print_errors_fp(stderr);
    std::fprintf(stderr, "\n");
    std::exit(1);
}

void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Listens on 127.0.0.1:0; returns the socket and fills `port`.
int listen_loopback(int& port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    if (listen(fd, 4) != 0) die("listen");
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

bool read_exact(SSL* ssl, char* p, size_t n) {
    while (n > 0) {
        const int r = SSL_read(ssl, p, static_cast<int>(n));
        if (r <= 0) return false;
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

void write_all(SSL* ssl, const char* p, size_t n) {
    if (SSL_write(ssl, p, static_cast<int>(n)) != static_cast<int>(n)) ssl_die("SSL_write");
}

// Child: accepts one connection and echoes everything back until EOF.
[[noreturn]] void serve(int lfd, const std::string& dir) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, (dir + "/server.pem").c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, (dir + "/server.key").c_str(), SSL_FILETYPE_PEM) != 1) {
        ssl_die("server certificate");
    }
    const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) die("accept");
    nodelay(fd);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) ssl_die("SSL_accept");
    char buf[16384];
    for (;;) {
        const int r = SSL_read(ssl, buf, sizeof buf);
        if (r <= 0) break;
        write_all(ssl, buf, static_cast<size_t>(r));
    }
    _exit(0);
}

struct Client {
    SSL_CTX* ctx = nullptr;
    SSL* ssl = nullptr;
    int fd = -1;
};

Client connect_client(int port, const std::string& dir) {
    Client c;
    c.ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c.ctx, TLS1_3_VERSION);
    if (SSL_CTX_load_verify_locations(c.ctx, (dir + "/ca.pem").c_str(), nullptr) != 1) {
        ssl_die("ca.pem");
    }
    SSL_CTX_set_verify(c.ctx, SSL_VERIFY_PEER, nullptr);
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
    nodelay(c.fd);
    c.ssl = SSL_new(c.ctx);
    SSL_set_fd(c.ssl, c.fd);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"  // an OpenSSL macro
    SSL_set_tlsext_host_name(c.ssl, "localhost");
#pragma GCC diagnostic pop
    SSL_set1_host(c.ssl, "localhost");
    if (SSL_connect(c.ssl) != 1) ssl_die("SSL_connect");
    return c;
}

int usage() {
    std::fprintf(stderr, "usage: tls_echo rtt|hold --certs-dir D [--size N] [--count N]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const std::string mode = argv[1];
    const std::string dir = arg(argc, argv, "--certs-dir");
    if (dir.empty() || (mode != "rtt" && mode != "hold")) return usage();
    const long size = arg_int(argc, argv, "--size", 150);
    const long count = arg_int(argc, argv, "--count", 2000);
    const long warmup = arg_int(argc, argv, "--warmup", 200);
    signal(SIGPIPE, SIG_IGN);

    int port = 0;
    const int lfd = listen_loopback(port);
    const pid_t server = fork();
    if (server < 0) die("fork");
    if (server == 0) serve(lfd, dir);
    close(lfd);

    Client c = connect_client(port, dir);
    std::string payload(static_cast<size_t>(size), 'x');
    std::string back(payload.size(), '\0');
    auto echo = [&] {
        write_all(c.ssl, payload.data(), payload.size());
        if (!read_exact(c.ssl, back.data(), back.size())) ssl_die("SSL_read");
    };

    if (mode == "hold") {
        echo();
        JsonLine()
            .str("kind", "hold")
            .integer("pid", getpid())
            .integer("server_pid", server)
            .str("protocol", SSL_get_version(c.ssl))
            .print();
        char b;
        while (read(0, &b, 1) > 0) {
        }
    } else {
        for (long i = 0; i < warmup; ++i) echo();
        std::vector<double> us;
        us.reserve(static_cast<size_t>(count));
        for (long i = 0; i < count; ++i) {
            const auto t0 = Clock::now();
            echo();
            us.push_back(micros(Clock::now() - t0));
        }
        JsonLine()
            .str("kind", "tls_echo")
            .integer("size", size)
            .integer("count", count)
            .str("protocol", SSL_get_version(c.ssl))
            .str("cipher", SSL_get_cipher_name(c.ssl))
            .summary("", summarize(us), "us")
            .print();
    }
    SSL_shutdown(c.ssl);
    close(c.fd);
    int status = 0;
    waitpid(server, &status, 0);
    return 0;
}
