#pragma once
// A FAKE poll endpoint, for fault shapes only: an HTTPS server on loopback
// that answers every request to any path with one scripted bad reply, the
// shapes a real outpost server (tests/hub) cannot produce but a middlebox or
// a misconfigured front end can (issue 18, "Bad input"). It is not a server
// of protocol.md: it never answers a poll properly. Tests point
// `server.poll_url` at it and check that the agent logs the fault clearly,
// backs off, keeps running and loses nothing.
//
// Hand-written on OpenSSL with one thread that serves one connection at a
// time (the agent polls one request at a time), certificate and key from
// the hub's test PKI, so the agent's TLS checks pass and only the HTTP
// answer is wrong.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace outpost::integration {

enum class PollFault {
    html,        // 200 text/html: a captive portal or a proxy's error page
    not_json,    // 200 application/json whose body is not JSON
    oversized,   // 200 with a JSON body of 3 MiB, over the agent's limit
    redirect,    // 302 to another origin (which must not be followed)
    slow_loris,  // a status line, then one header byte a second, never finished
};

[[nodiscard]] const char* to_string(PollFault fault);

class FakePollServer {
  public:
    // `cert_file`/`key_file`: PEM chain and key for localhost (the hub's
    // pki/server.pem, server.key). `redirect_to`: the Location of `redirect`.
    FakePollServer(PollFault fault, const std::string& cert_file, const std::string& key_file,
                   std::string redirect_to = "https://127.0.0.1:9/v1/poll");
    ~FakePollServer();
    FakePollServer(const FakePollServer&) = delete;
    FakePollServer& operator=(const FakePollServer&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url() const;  // https://localhost:PORT/v1/poll
    // Requests read so far (their request line and headers).
    [[nodiscard]] std::vector<std::string> requests() const;

  private:
    void run();
    void serve(int client);
    [[nodiscard]] std::string answer_head() const;

    PollFault fault_;
    std::string redirect_to_;
    void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept out of this header
    int listen_fd_ = -1;
    int port_ = 0;
    int stop_pipe_[2] = {-1, -1};
    std::atomic<bool> stopping_{false};
    std::atomic<int> active_fd_{-1};
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

}  // namespace outpost::integration
