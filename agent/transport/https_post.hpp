#pragma once
// A one-shot HTTPS POST of a JSON body (the `exchange` token endpoint,
// protocol.md §2, and each poll of the polling fallback, §7) on the loop, with the same
// TLS rules as the WebSocket (CA/pins/mTLS, TLS 1.2+, host name check).

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/transport/timer.hpp"
#include "agent/transport/tls_settings.hpp"

struct lws;

namespace outpost::transport {

class EventLoop;

struct HttpResponse {
    int status = 0;  // any status, 2xx or not, is a response (not an error)
    std::string body;
    std::string content_type;                // as the server sent it, for logs
    std::optional<std::string> retry_after;  // the header's text, when present
};

struct PostRequest {
    std::string url;   // https:// (http:// only with tls.insecure_plaintext)
    std::string body;  // sent as application/json
    // Extra request headers (name without colon); values may be secrets and
    // are never logged.
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds timeout{10000};  // whole exchange
};

class HttpsPost {
  public:
    using Callback = std::function<void(Expected<HttpResponse>)>;

    // `max_response_bytes` caps the response body: a server sending more is
    // an error, and we stop reading.
    HttpsPost(EventLoop& loop, TlsSettings tls, std::optional<std::string> proxy = std::nullopt,
              size_t max_response_bytes = 64 * 1024);
    ~HttpsPost();  // cancels without calling back
    HttpsPost(const HttpsPost&) = delete;
    HttpsPost& operator=(const HttpsPost&) = delete;

    // Starts the request; `done` runs exactly once, later, from the loop:
    // with the response, or with an error (DNS/TCP/TLS/pin failure, timeout,
    // body too large). Immediate errors (bad URL, a request already running)
    // are returned and `done` is not called.
    [[nodiscard]] Expected<void> post(PostRequest request, Callback done);
    [[nodiscard]] bool busy() const { return static_cast<bool>(done_); }
    // The last request failed because the response body passed
    // `max_response_bytes` (so a caller can name that cause in its words).
    [[nodiscard]] bool response_too_large() const { return response_too_large_; }

    // For the lws callback only.
    int handle(lws* wsi, int reason, void* in, size_t len);

  private:
    int append_headers(lws* wsi, void* in, size_t len);
    int write_body(lws* wsi);
    void read_response_headers(lws* wsi);
    void complete(Expected<HttpResponse> result);
    void kill_async(std::string cause);

    EventLoop& loop_;
    TlsSettings tls_;
    std::optional<std::string> proxy_;
    size_t max_response_bytes_;

    lws* wsi_ = nullptr;
    Callback done_;
    PostRequest request_;
    std::string host_header_, address_, path_;
    bool tls_connection_ = false;
    size_t body_sent_ = 0;
    int status_ = 0;
    std::string response_;
    std::string content_type_;
    std::optional<std::string> retry_after_;
    std::string local_cause_;
    bool completed_ok_ = false;
    bool response_too_large_ = false;
    std::vector<unsigned char> scratch_;
    Timer timeout_;
    Timer deferred_failure_;
};

}  // namespace outpost::transport
