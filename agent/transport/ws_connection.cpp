#include "agent/transport/ws_connection.hpp"

#include <libwebsockets.h>
#include <malloc.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "agent/transport/client_vhost.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/lws_callbacks.hpp"
#include "agent/transport/peer_pins.hpp"
#include "agent/transport/proxy.hpp"
#include "agent/transport/retry_after.hpp"
#include "agent/transport/url.hpp"

namespace outpost::transport {
namespace {

// The write buffer is kept between messages, but not one this large.
constexpr size_t kKeptScratchBytes = 64 * 1024;
constexpr size_t kMaxCloseReason = 123;  // RFC 6455 §5.5: 125 minus the code
// A queue this large when the connection ends is handed back to the system
// at once (see release_queue()).
constexpr size_t kTrimAfterBytes = 1024 * 1024;

bool has_line_break(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += sep;
        out += item;
    }
    return out;
}

// The server URL, the token and the settings, checked before connect()
// changes anything.
[[nodiscard]] Expected<Url> checked_url(const ConnectSettings& settings,
                                        const std::string& bearer_token) {
    auto url = parse_url(settings.url);
    if (!url) return std::unexpected(url.error().context("server URL"));
    if (url->scheme != "ws" && url->scheme != "wss")
        return fail("server URL must be wss:// (got " + url->scheme + "://)");
    if (!url->tls && !settings.tls.insecure_plaintext)
        return fail("ws:// needs insecure_plaintext: the token would travel in clear text");
    if (bearer_token.empty() || has_line_break(bearer_token))
        return fail("bearer token is empty or holds a line break");
    if (settings.node_id.empty() || has_line_break(settings.node_id) ||
        has_line_break(settings.user_agent))
        return fail("node id or user agent is empty or holds a line break");
    if (settings.subprotocols.empty() ||
        std::ranges::any_of(settings.subprotocols, [](const std::string& s) {
            return s.empty() || s.find_first_of(", \r\n") != std::string::npos;
        }))
        return fail("subprotocols must be non-empty tokens");
    if (settings.max_message_bytes == 0) return fail("max_message_bytes must be positive");
    if (url->tls) {
        if (auto ok = check_tls_files(settings.tls); !ok) return std::unexpected(ok.error());
    }
    return url;
}

}  // namespace

// Handlers are copied before the call: a handler may destroy the connection
// (and with it the std::function being executed). The loop is woken first:
// lws may be calling us from one of its timers, which run before it waits,
// and a run_until() predicate must see the event now.
template <class F, class... Args>
void WsConnection::emit(const F& handler, Args&&... args) {
    loop_.wake();
    if (!handler) return;
    F copy = handler;
    copy(std::forward<Args>(args)...);
}

WsConnection::WsConnection(EventLoop& loop, Events events)
    : loop_(loop), events_(std::move(events)), connect_timer_(loop), deferred_failure_(loop) {}

WsConnection::~WsConnection() {
    wipe_token();
    if (wsi_ != nullptr) {
        // Orphan the wsi (callbacks then see no user and hang up) and let lws
        // close it on its next pass: we may be inside one of its callbacks.
        lws_set_wsi_user(wsi_, nullptr);
        lws_set_timeout(wsi_, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
    }
}

Expected<void> WsConnection::connect(const ConnectSettings& settings, std::string bearer_token) {
    if (state_ != State::kIdle) return fail("connection already in progress");
    auto url = checked_url(settings, bearer_token);
    if (!url) return std::unexpected(url.error());
    std::optional<ProxyAddress> proxy;
    if (settings.proxy && !no_proxy_matches(url->host, join(settings.no_proxy, ","))) {
        auto parsed = parse_proxy(*settings.proxy);
        if (!parsed) return std::unexpected(parsed.error());
        proxy = std::move(*parsed);
    }
    auto vhost = client_vhost(loop_, settings.tls, proxy);
    if (!vhost) return std::unexpected(vhost.error());

    // Everything lws reads from the connect info stays alive in members.
    token_ = std::move(bearer_token);
    node_id_ = settings.node_id;
    user_agent_ = settings.user_agent;
    host_header_ = url->host_header();
    address_ = url->host;
    path_ = url->path;
    offered_ = join(settings.subprotocols, ", ");
    pins_ = url->tls ? settings.tls.spki_pins : std::vector<SpkiPin>{};
    tls_ = url->tls;
    subprotocol_.clear();
    local_cause_.clear();
    close_code_.reset();
    close_reason_.clear();
    pending_close_.reset();
    max_message_bytes_ = settings.max_message_bytes;
    inbound_ = InboundAssembler(max_message_bytes_);
    release_queue();

    lws_client_connect_info info{};
    info.context = loop_.context();
    info.vhost = *vhost;
    info.address = address_.c_str();
    info.port = url->port;
    info.path = path_.c_str();
    // Always set: SNI, the certificate name check and the Host header.
    info.host = host_header_.c_str();
    info.protocol = offered_.c_str();
    info.local_protocol_name = detail::kWsProtocol;
    // HTTP/2 has no client ws upgrade in lws 4.1; never negotiate it.
    info.alpn = "http/1.1";
    // No redirects: the token must never be re-sent to another host.
    info.ssl_connection = LCCSCF_HTTP_NO_FOLLOW_REDIRECT | (tls_ ? LCCSCF_USE_SSL : 0);
    info.userdata = this;
    info.pwsi = &wsi_;

    state_ = State::kConnecting;
    const auto timeout = settings.connect_timeout;
    connect_timer_.schedule(timeout, [this, timeout] {
        kill_async("connect timeout after " + std::to_string(timeout.count()) + " s");
    });
    if (lws_client_connect_via_info(&info) == nullptr) {
        // lws reports no CONNECTION_ERROR in this case (the failure, often a
        // DNS lookup, happened inside the call); report it from the loop so
        // the caller sees the same path as for any other failure.
        wsi_ = nullptr;
        deferred_failure_.schedule(std::chrono::microseconds(0), [this] {
            finish();
            emit(events_.on_failure,
                 std::string("connect to " + address_ + " failed (DNS lookup or socket)"));
        });
    }
    return {};
}

Expected<void> WsConnection::send(std::string message) {
    if (state_ != State::kOpen) return fail("connection is not open");
    if (message.size() > max_message_bytes_)
        return fail("message of " + std::to_string(message.size()) +
                    " bytes exceeds max_message_bytes");
    queue_.push(std::move(message));
    lws_callback_on_writable(wsi_);
    return {};
}

void WsConnection::close(int code, std::string reason) {
    if (state_ == State::kConnecting) return abort();
    if (state_ != State::kOpen) return;
    if (reason.size() > kMaxCloseReason) reason.resize(kMaxCloseReason);
    // lws_close_reason() only works inside a callback of the wsi.
    pending_close_ = {code, std::move(reason)};
    state_ = State::kClosing;
    lws_callback_on_writable(wsi_);
}

void WsConnection::abort() {
    if (state_ == State::kIdle) return;
    close_code_.reset();
    close_reason_.clear();
    kill_async("aborted");
}

int WsConnection::native_fd() const {
    return wsi_ != nullptr ? static_cast<int>(lws_get_socket_fd(wsi_)) : -1;
}

bool WsConnection::fully_written() const {
    if (queue_.messages() != 0) return false;
    return wsi_ == nullptr || state_ != State::kOpen || lws_partial_buffered(wsi_) == 0;
}

void WsConnection::kill_async(std::string cause) {
    if (local_cause_.empty()) local_cause_ = std::move(cause);
    if (wsi_ != nullptr) lws_set_timeout(wsi_, static_cast<pending_timeout>(1), LWS_TO_KILL_ASYNC);
}

void WsConnection::finish() {
    if (wsi_ != nullptr) lws_set_wsi_user(wsi_, nullptr);  // later callbacks: not ours
    wsi_ = nullptr;                                        // 4.1 never clears *pwsi itself
    state_ = State::kIdle;
    connect_timer_.cancel();
    deferred_failure_.cancel();
    release_queue();
    inbound_.reset();
    pending_close_.reset();
    wipe_token();
}

// The queue is many small strings (thousands of pongs, a peer that stopped
// reading); freed, glibc keeps most of them in its arenas, so the agent's
// RSS would stay at its peak after the connection is gone. malloc_trim(0)
// returns the free pages of every arena; it walks the heap (well under a
// millisecond here), so it runs only after a large queue, once per
// connection (docs/performance.md has the figures).
void WsConnection::release_queue() {
    const bool large = queue_.bytes() >= kTrimAfterBytes;
    queue_.clear();
    if (large) malloc_trim(0);
}

void WsConnection::wipe_token() {
    if (!token_.empty()) OPENSSL_cleanse(token_.data(), token_.size());
    token_.clear();
}

int WsConnection::append_handshake_headers(lws* wsi, void* in, size_t len) {
    auto** p = static_cast<unsigned char**>(in);
    unsigned char* end = *p + len;
    // TLS is up here and nothing has been sent yet: check the pin before the
    // token can leave.
    if (auto mismatch = peer_pin_failure(wsi, pins_)) {
        local_cause_ = std::move(*mismatch);
        wipe_token();
        return -1;
    }
    std::string auth = "Bearer " + token_;
    wipe_token();
    const int failed =
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                     reinterpret_cast<const unsigned char*>(auth.data()),
                                     static_cast<int>(auth.size()), p, end) ||
        lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("x-agent-id:"),
                                    reinterpret_cast<const unsigned char*>(node_id_.data()),
                                    static_cast<int>(node_id_.size()), p, end) ||
        (!user_agent_.empty() &&
         lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT,
                                      reinterpret_cast<const unsigned char*>(user_agent_.data()),
                                      static_cast<int>(user_agent_.size()), p, end));
    OPENSSL_cleanse(auth.data(), auth.size());
    if (failed) {
        local_cause_ = "handshake headers do not fit: token too large for serv_buf_size";
        return -1;
    }
    return 0;
}

void WsConnection::on_receive(lws* wsi, const void* in, size_t len) {
    const auto outcome =
        inbound_.feed({static_cast<const char*>(in), len}, lws_is_final_fragment(wsi) != 0,
                      lws_frame_is_binary(wsi) != 0);
    switch (outcome.kind) {
        case InboundAssembler::Kind::kIncomplete:
            return;
        case InboundAssembler::Kind::kText: {
            const std::string message = inbound_.take();
            return emit(events_.on_message, std::string_view(message));
        }
        case InboundAssembler::Kind::kTooLarge:
            return emit(events_.on_too_large, outcome.size);
        case InboundAssembler::Kind::kBinary:
            return emit(events_.on_invalid,
                        "binary message of " + std::to_string(outcome.size) + " bytes");
    }
}

int WsConnection::on_writeable(lws* wsi) {
    if (pending_close_) {
        auto [code, reason] = std::move(*pending_close_);
        pending_close_.reset();
        close_code_ = code;
        close_reason_ = reason;
        lws_close_reason(wsi, static_cast<lws_close_status>(code),
                         reinterpret_cast<unsigned char*>(reason.data()), reason.size());
        return -1;  // lws sends the close frame and waits for the peer's
    }
    if (state_ != State::kOpen || queue_.empty()) return 0;  // unasked-for WRITEABLE
    // One whole message, one TEXT frame with FIN (protocol.md §3). lws
    // writes what the socket takes and keeps the rest in its own buffer,
    // sending it before the next WRITEABLE.
    const std::string& message = queue_.front();
    const size_t size = message.size();
    // A fresh copy each time: lws masks client frames in place.
    scratch_.resize(LWS_PRE + size);
    std::memcpy(scratch_.data() + LWS_PRE, message.data(), size);
    const int written = lws_write(wsi, scratch_.data() + LWS_PRE, size, LWS_WRITE_TEXT);
    if (written < static_cast<int>(size)) {
        local_cause_ = "write failed";
        return -1;
    }
    queue_.pop();
    if (scratch_.capacity() > kKeptScratchBytes) std::vector<unsigned char>().swap(scratch_);
    if (!queue_.empty()) lws_callback_on_writable(wsi);
    return 0;
}

void WsConnection::on_connection_error(lws* wsi, const void* in, size_t len) {
    std::string cause = local_cause_;
    if (cause.empty())
        cause = in != nullptr && len > 0 ? std::string(static_cast<const char*>(in), len)
                                         : std::string("connection failed");
    // A non-101 answer to the upgrade: the response headers are still
    // attached to the wsi inside this callback (checked against 4.1.6).
    const int status = static_cast<int>(lws_http_client_http_response(wsi));
    // lws refuses a 101 whose Sec-WebSocket-Protocol is not one we offered
    // with one of these two texts (lws-callbacks.h, CONNECTION_ERROR).
    if (local_cause_.empty() && (cause.starts_with("HS: PROTOCOL malformed") ||
                                 cause.starts_with("HS: Cannot match protocol"))) {
        char selected[128] = {};
        std::string named = lws_hdr_copy(wsi, selected, sizeof selected, WSI_TOKEN_PROTOCOL) > 0
                                ? std::string(selected)
                                : std::string();
        finish();
        return emit(events_.on_foreign_subprotocol, std::move(named));
    }
    std::optional<int> retry_after;
    if (local_cause_.empty() && status != 0 && status != 101) {
        char value[32] = {};
        if (lws_hdr_copy(wsi, value, sizeof value, WSI_TOKEN_HTTP_RETRY_AFTER) > 0)
            retry_after = parse_retry_after_header(value);
        finish();
        return emit(events_.on_refused, status, retry_after);
    }
    finish();
    emit(events_.on_failure, std::move(cause));
}

int WsConnection::handle(lws* wsi, int reason, void* in, size_t len) {
    if (wsi_ == nullptr && state_ == State::kConnecting) wsi_ = wsi;  // before pwsi is set
    if (wsi != wsi_) return 0;  // a previous attempt's wsi winding down
    switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return append_handshake_headers(wsi, in, len);

        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
            // The response headers are gone by CLIENT_ESTABLISHED.
            char selected[128] = {};
            if (lws_hdr_copy(wsi, selected, sizeof selected, WSI_TOKEN_PROTOCOL) > 0)
                subprotocol_ = selected;
            return 0;
        }
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            state_ = State::kOpen;
            connect_timer_.cancel();
            emit(events_.on_open, std::string_view(subprotocol_));
            return 0;

        case LWS_CALLBACK_CLIENT_RECEIVE:
            on_receive(wsi, in, len);
            return 0;

        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return on_writeable(wsi);

        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            // 2-byte big-endian code + optional reason; CLIENT_CLOSED has neither.
            const auto* bytes = static_cast<const unsigned char*>(in);
            if (len >= 2) {
                close_code_ = (bytes[0] << 8) | bytes[1];
                close_reason_.assign(reinterpret_cast<const char*>(bytes) + 2, len - 2);
            }
            return 0;  // lws echoes the close
        }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            on_connection_error(wsi, in, len);
            return 0;

        case LWS_CALLBACK_CLIENT_CLOSED:
        case LWS_CALLBACK_WSI_DESTROY: {  // the latter: a safety net only
            if (state_ == State::kIdle) return 0;
            const bool was_connecting = state_ == State::kConnecting;
            const auto code = close_code_;
            std::string why = !close_reason_.empty()  ? close_reason_
                              : !local_cause_.empty() ? local_cause_
                              : code                  ? std::string()
                                                      : std::string("connection lost");
            finish();
            if (was_connecting)
                return emit(events_.on_failure, why.empty() ? "closed before open" : why), 0;
            emit(events_.on_closed, code, std::move(why));
            return 0;
        }
        default:
            return 0;
    }
}

namespace detail {

int ws_connection_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                           size_t len) {
    auto* connection = static_cast<WsConnection*>(user);
    if (connection != nullptr) return connection->handle(wsi, reason, in, len);
    switch (reason) {
        // An orphaned wsi (its WsConnection is gone): hang up.
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
        case LWS_CALLBACK_CLIENT_RECEIVE:
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return -1;
        default:
            return 0;
    }
}

}  // namespace detail
}  // namespace outpost::transport
