#include "agent/transport/https_post.hpp"

#include <libwebsockets.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "agent/transport/client_vhost.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/lws_callbacks.hpp"
#include "agent/transport/peer_pins.hpp"
#include "agent/transport/proxy.hpp"
#include "agent/transport/url.hpp"

namespace outpost::transport {
namespace {

constexpr size_t kBodyChunk = 16 * 1024;

bool bad_header_text(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

const unsigned char* bytes(const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

HttpsPost::HttpsPost(EventLoop& loop, TlsSettings tls, std::optional<std::string> proxy,
                     size_t max_response_bytes)
    : loop_(loop),
      tls_(std::move(tls)),
      proxy_(std::move(proxy)),
      max_response_bytes_(max_response_bytes),
      timeout_(loop),
      deferred_failure_(loop) {}

HttpsPost::~HttpsPost() {
    for (auto& [name, value] : request_.headers) OPENSSL_cleanse(value.data(), value.size());
    if (wsi_ != nullptr) {
        lws_set_wsi_user(wsi_, nullptr);
        lws_set_timeout(wsi_, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
    }
}

Expected<void> HttpsPost::post(PostRequest request, Callback done) {
    if (busy()) return fail("a request is already running");
    auto url = parse_url(request.url);
    if (!url) return std::unexpected(url.error().context("POST URL"));
    if (url->scheme != "https" && url->scheme != "http") return fail("POST URL must be https://");
    if (!url->tls && !tls_.insecure_plaintext) return fail("http:// needs insecure_plaintext");
    for (const auto& [name, value] : request.headers) {
        if (name.empty() || bad_header_text(name) || name.find(':') != std::string::npos ||
            bad_header_text(value))
            return fail("invalid request header '" + name + "'");
    }
    if (url->tls) {
        if (auto ok = check_tls_files(tls_); !ok) return ok;
    }
    std::optional<ProxyAddress> proxy;
    if (proxy_) {
        auto parsed = parse_proxy(*proxy_);
        if (!parsed) return std::unexpected(parsed.error());
        proxy = std::move(*parsed);
    }
    auto vhost = client_vhost(loop_, tls_, proxy);
    if (!vhost) return std::unexpected(vhost.error());

    request_ = std::move(request);
    for (auto& [name, value] : request_.headers) {
        std::ranges::transform(name, name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        name += ':';  // lws_add_http_header_by_name wants "name:"
    }
    host_header_ = url->host_header();
    address_ = url->host;
    path_ = url->path;
    tls_connection_ = url->tls;
    body_sent_ = 0;
    status_ = 0;
    response_.clear();
    content_type_.clear();
    retry_after_.reset();
    local_cause_.clear();
    completed_ok_ = false;
    response_too_large_ = false;
    done_ = std::move(done);

    lws_client_connect_info info{};
    info.context = loop_.context();
    info.vhost = *vhost;
    info.address = address_.c_str();
    info.port = url->port;
    info.path = path_.c_str();
    info.host = host_header_.c_str();
    info.method = "POST";
    info.alpn = "http/1.1";
    info.protocol = detail::kHttpsProtocol;
    info.local_protocol_name = detail::kHttpsProtocol;
    info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT | (tls_connection_ ? LCCSCF_USE_SSL : 0);
    info.userdata = this;
    info.pwsi = &wsi_;

    const auto limit = request_.timeout;
    timeout_.schedule(limit, [this, limit] {
        kill_async("timeout after " + std::to_string(limit.count()) + " ms");
    });
    if (lws_client_connect_via_info(&info) == nullptr) {
        wsi_ = nullptr;
        deferred_failure_.schedule(std::chrono::microseconds(0), [this] {
            complete(fail("connect to " + address_ + " failed (DNS lookup or socket)"));
        });
    }
    return {};
}

void HttpsPost::kill_async(std::string cause) {
    if (local_cause_.empty()) local_cause_ = std::move(cause);
    if (wsi_ != nullptr) lws_set_timeout(wsi_, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
}

void HttpsPost::complete(Expected<HttpResponse> result) {
    if (wsi_ != nullptr) {
        // One-shot: detach and close, even if lws would keep it alive.
        lws_set_wsi_user(wsi_, nullptr);
        lws_set_timeout(wsi_, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
        wsi_ = nullptr;
    }
    timeout_.cancel();
    deferred_failure_.cancel();
    for (auto& [name, value] : request_.headers) OPENSSL_cleanse(value.data(), value.size());
    request_ = {};
    // lws may have called us from one of its timers, which run before it
    // waits: wake it so a run_until() predicate sees the result now.
    loop_.wake();
    auto done = std::exchange(done_, nullptr);  // may start the next request
    if (done) done(std::move(result));
}

int HttpsPost::append_headers(lws* wsi, void* in, size_t len) {
    auto** p = static_cast<unsigned char**>(in);
    unsigned char* end = *p + len;
    if (tls_connection_) {
        if (auto cause = peer_pin_failure(wsi, tls_.spki_pins)) {
            local_cause_ = *cause;
            return -1;
        }
    }
    static const std::string kJson = "application/json";
    bool failed = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, bytes(kJson),
                                               static_cast<int>(kJson.size()), p, end) != 0 ||
                  lws_add_http_header_content_length(wsi, request_.body.size(), p, end) != 0;
    for (const auto& [name, value] : request_.headers) {
        failed = failed || lws_add_http_header_by_name(wsi, bytes(name), bytes(value),
                                                       static_cast<int>(value.size()), p, end);
    }
    if (failed) {
        local_cause_ = "request headers do not fit in serv_buf_size";
        return -1;
    }
    // Tell lws a body follows; it arrives in CLIENT_HTTP_WRITEABLE.
    lws_client_http_body_pending(wsi, 1);
    lws_callback_on_writable(wsi);
    return 0;
}

void HttpsPost::read_response_headers(lws* wsi) {
    char value[256] = {};
    if (lws_hdr_copy(wsi, value, sizeof value, WSI_TOKEN_HTTP_CONTENT_TYPE) > 0) {
        content_type_ = value;
    }
    // Polling honours it on 429/503 as the upgrade does (protocol.md §1, §7).
    if (lws_hdr_copy(wsi, value, sizeof value, WSI_TOKEN_HTTP_RETRY_AFTER) > 0) {
        retry_after_ = std::string(value);
    }
}

int HttpsPost::write_body(lws* wsi) {
    const std::string& body = request_.body;
    if (body_sent_ > body.size() || (body_sent_ == body.size() && !body.empty())) return 0;
    const size_t size = std::min(kBodyChunk, body.size() - body_sent_);
    const bool last = body_sent_ + size == body.size();
    scratch_.resize(LWS_PRE + size);
    std::memcpy(scratch_.data() + LWS_PRE, body.data() + body_sent_, size);
    const int written = lws_write(wsi, scratch_.data() + LWS_PRE, size,
                                  last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    if (written < static_cast<int>(size)) {
        local_cause_ = "writing the request body failed";
        return -1;
    }
    body_sent_ += size;
    if (last) {
        body_sent_ = body.size() + 1;  // done, even for an empty body
        lws_client_http_body_pending(wsi, 0);
    } else {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

int HttpsPost::handle(lws* wsi, int reason, void* in, size_t len) {
    if (wsi_ == nullptr && busy()) wsi_ = wsi;
    if (wsi != wsi_) return 0;
    switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return append_headers(wsi, in, len);

        case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
            return write_body(wsi);

        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
            status_ = static_cast<int>(lws_http_client_http_response(wsi));
            read_response_headers(wsi);
            return 0;

        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
            // lws wants us to pull the body; it comes back as ..._HTTP_READ.
            char buffer[LWS_PRE + 4096];
            char* start = buffer + LWS_PRE;
            int room = static_cast<int>(sizeof buffer - LWS_PRE);
            return lws_http_client_read(wsi, &start, &room) < 0 ? -1 : 0;
        }
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            if (response_.size() + len > max_response_bytes_) {
                response_too_large_ = true;
                local_cause_ =
                    "response body exceeds " + std::to_string(max_response_bytes_) + " bytes";
                return -1;
            }
            response_.append(static_cast<const char*>(in), len);
            return 0;

        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
            complete(HttpResponse{status_, std::move(response_), std::move(content_type_),
                                  std::move(retry_after_)});
            return 0;

        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            std::string cause = local_cause_;
            if (cause.empty())
                cause = in != nullptr && len > 0 ? std::string(static_cast<const char*>(in), len)
                                                 : std::string("connection failed");
            complete(fail(std::move(cause)));
            return 0;
        }
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        case LWS_CALLBACK_WSI_DESTROY:
            complete(fail(local_cause_.empty() ? "connection closed before the response ended"
                                               : local_cause_));
            return 0;

        default:
            return 0;
    }
}

namespace detail {

int https_post_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* post = static_cast<HttpsPost*>(user);
    if (post != nullptr) return post->handle(wsi, reason, in, len);
    switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            return -1;  // orphaned: hang up
        default:
            return 0;
    }
}

}  // namespace detail
}  // namespace outpost::transport
