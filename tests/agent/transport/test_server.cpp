#include "test_server.hpp"

#include "test_certs.hpp"

#include <libwebsockets.h>
#include <array>
#include <cstdio>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <utility>

namespace outpost::transport::test {

struct OutMessage {
    std::string data;
    bool binary = false;
    size_t offset = 0;
};

struct WsSession {
    std::string inbound;
    std::deque<OutMessage> out;
    std::optional<int> close_code;
    bool drop = false;
};

struct HttpSession {
    std::string path, body, response;
    std::string content_type = "application/json";
    std::optional<int> retry_after;
    std::string location;
    int status = 0;
    size_t sent = 0;
};

struct TestServer::Impl {
    ServerOptions options;
    // The ws protocol's name is what lws answers in the 101: mutable so
    // that select_subprotocol can replace it around the handshake.
    std::array<char, 16> ws_name{"outpost.v1"};
    std::array<lws_protocols, 3> protocols{};
    mutable std::mutex mutex;
    Seen seen;
    std::deque<PollReply> poll_script;
    std::map<lws*, WsSession> ws;
    std::map<lws*, HttpSession> http;
};

namespace {

constexpr size_t kFragment = 16 * 1024;

TestServer::Impl& impl_of(lws* wsi) {
    return *static_cast<TestServer::Impl*>(lws_context_user(lws_get_context(wsi)));
}

std::string hdr(lws* wsi, lws_token_indexes token) {
    char buf[8192] = {};
    return lws_hdr_copy(wsi, buf, sizeof buf, token) > 0 ? std::string(buf) : std::string();
}

std::string custom_hdr(lws* wsi, const char* name) {
    char buf[1024] = {};
    const int n = lws_hdr_custom_copy(wsi, buf, sizeof buf, name, static_cast<int>(strlen(name)));
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int refuse(lws* wsi, int status, std::optional<int> retry_after) {
    unsigned char buf[LWS_PRE + 512];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_header_status(wsi, static_cast<unsigned>(status), &p, end)) return 1;
    if (retry_after) {
        const std::string v = std::to_string(*retry_after);
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("retry-after:"),
                                        reinterpret_cast<const unsigned char*>(v.data()),
                                        static_cast<int>(v.size()), &p, end))
            return 1;
    }
    if (lws_add_http_header_content_length(wsi, 0, &p, end)) return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
    return 1;  // refuse the upgrade and hang up
}

int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto& impl = impl_of(wsi);
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
            std::lock_guard lock(impl.mutex);
            impl.seen.upgrades++;
            impl.seen.authorization = hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
            impl.seen.user_agent = hdr(wsi, WSI_TOKEN_HTTP_USER_AGENT);
            impl.seen.offered_protocols = hdr(wsi, WSI_TOKEN_PROTOCOL);
            impl.seen.agent_id = custom_hdr(wsi, "x-agent-id:");
            if (impl.options.refuse_status != 0)
                return refuse(wsi, impl.options.refuse_status, impl.options.retry_after);
            return 0;
        }
        case LWS_CALLBACK_HTTP: {
            std::lock_guard lock(impl.mutex);
            impl.seen.http_requests++;
            impl.seen.post_path = std::string(static_cast<const char*>(in), len);
            impl.seen.post_content_type = hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
            impl.seen.post_custom_header = custom_hdr(wsi, "x-test:");
            if (impl.seen.post_path == "/poll") {
                impl.seen.poll_authorization = hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
                impl.seen.poll_user_agent = hdr(wsi, WSI_TOKEN_HTTP_USER_AGENT);
                impl.seen.poll_agent_id = custom_hdr(wsi, "x-agent-id:");
            }
            impl.http[wsi].path = impl.seen.post_path;
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY: {
            std::lock_guard lock(impl.mutex);
            impl.http[wsi].body.append(static_cast<const char*>(in), len);
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
            HttpSession* s = nullptr;
            PollReply reply;
            {
                std::lock_guard lock(impl.mutex);
                s = &impl.http[wsi];
                impl.seen.post_body = s->body;
                if (s->path == "/poll") {
                    impl.seen.poll_bodies.push_back(s->body);
                    if (!impl.poll_script.empty()) {
                        reply = std::move(impl.poll_script.front());
                        impl.poll_script.pop_front();
                    }
                }
            }
            if (s->path == "/slow") return 0;
            if (s->path == "/poll") {
                if (reply.status == 0) return 0;  // never answers
                s->status = reply.status;
                s->response = std::move(reply.body);
                s->content_type = std::move(reply.content_type);
                s->retry_after = reply.retry_after;
                s->location = std::move(reply.location);
            } else if (s->path == "/ok") {
                s->status = 200;
                s->response = R"({"access_token":"abc","expires_in":60})";
            } else if (s->path == "/big") {
                s->status = 200;
                s->response.assign(100 * 1024, 'x');
            } else {
                s->status = 500;
                s->response = "oops";
            }
            unsigned char buf[LWS_PRE + 1024];
            unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
            if (lws_add_http_common_headers(wsi, static_cast<unsigned>(s->status),
                                            s->content_type.c_str(), s->response.size(), &p, end))
                return 1;
            const auto extra = [&](const char* name, const std::string& value) {
                return !value.empty() && lws_add_http_header_by_name(
                                             wsi, reinterpret_cast<const unsigned char*>(name),
                                             reinterpret_cast<const unsigned char*>(value.data()),
                                             static_cast<int>(value.size()), &p, end) != 0;
            };
            if (extra("retry-after:", s->retry_after ? std::to_string(*s->retry_after) : "") ||
                extra("location:", s->location))
                return 1;
            if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
            lws_callback_on_writable(wsi);
            return 0;
        }
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            HttpSession* s = nullptr;
            {
                std::lock_guard lock(impl.mutex);
                s = &impl.http[wsi];
            }
            if (s->status == 0) return 0;
            const size_t n = std::min(kFragment, s->response.size() - s->sent);
            const bool last = s->sent + n == s->response.size();
            std::vector<unsigned char> buf(LWS_PRE + n);
            std::memcpy(buf.data() + LWS_PRE, s->response.data() + s->sent, n);
            if (lws_write(wsi, buf.data() + LWS_PRE, n,
                          last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n))
                return 1;
            s->sent += n;
            if (!last) {
                lws_callback_on_writable(wsi);
                return 0;
            }
            return lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        case LWS_CALLBACK_CLOSED_HTTP: {
            std::lock_guard lock(impl.mutex);
            impl.http.erase(wsi);
            return 0;
        }
        default:
            return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

void handle_message(TestServer::Impl& impl, lws* wsi, WsSession& s, std::string message) {
    {
        std::lock_guard lock(impl.mutex);
        impl.seen.message_sizes.push_back(message.size());
    }
    if (message.starts_with("cmd:close:")) {
        s.close_code = std::stoi(message.substr(10));
    } else if (message.starts_with("cmd:big:")) {
        s.out.push_back({std::string(std::stoul(message.substr(8)), 'b'), false, 0});
    } else if (message == "cmd:binary") {
        s.out.push_back({std::string(10, '\x01'), true, 0});
    } else if (message == "cmd:drop") {
        s.drop = true;
    } else {
        s.out.push_back({std::move(message), false, 0});
    }
    lws_callback_on_writable(wsi);
}

int ws_callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
    auto& impl = impl_of(wsi);
    // select_subprotocol: the name differs only while lws writes the 101.
    if (reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
        std::snprintf(impl.ws_name.data(), impl.ws_name.size(), "%s", "outpost.v1");
    switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
            std::lock_guard lock(impl.mutex);
            if (!impl.options.select_subprotocol.empty())
                std::snprintf(impl.ws_name.data(), impl.ws_name.size(), "%s",
                              impl.options.select_subprotocol.c_str());
            return 0;
        }
        case LWS_CALLBACK_ESTABLISHED:
            impl.ws[wsi] = WsSession{};
            return 0;
        case LWS_CALLBACK_RECEIVE: {
            auto& s = impl.ws[wsi];
            s.inbound.append(static_cast<const char*>(in), len);
            if (lws_is_final_fragment(wsi))
                handle_message(impl, wsi, s, std::exchange(s.inbound, {}));
            return 0;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            auto& s = impl.ws[wsi];
            if (s.drop) return -1;  // no lws_close_reason: no close frame
            if (s.close_code) {
                lws_close_reason(wsi, static_cast<lws_close_status>(*s.close_code),
                                 reinterpret_cast<unsigned char*>(const_cast<char*>("bye")), 3);
                return -1;
            }
            if (s.out.empty()) return 0;
            auto& m = s.out.front();
            const size_t n = std::min(kFragment, m.data.size() - m.offset);
            const bool first = m.offset == 0, last = m.offset + n == m.data.size();
            std::vector<unsigned char> buf(LWS_PRE + n);
            std::memcpy(buf.data() + LWS_PRE, m.data.data() + m.offset, n);
            const int flags =
                lws_write_ws_flags(m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, first, last);
            if (lws_write(wsi, buf.data() + LWS_PRE, n, static_cast<lws_write_protocol>(flags)) <
                static_cast<int>(n))
                return -1;
            m.offset += n;
            if (last) s.out.pop_front();
            if (!s.out.empty()) lws_callback_on_writable(wsi);
            return 0;
        }
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            if (len >= 2) {
                const auto* b = static_cast<const unsigned char*>(in);
                std::lock_guard lock(impl.mutex);
                impl.seen.peer_close_code = (b[0] << 8) | b[1];
            }
            return 0;
        }
        case LWS_CALLBACK_CLOSED:
            impl.ws.erase(wsi);
            return 0;
        default:
            return 0;
    }
}

}  // namespace

TestServer::TestServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   (impl_->options.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    info.user = impl_.get();
    // lws's default (4096) cannot hold a 4 KB+ bearer token.
    info.max_http_header_data = 16 * 1024;
    context_ = lws_create_context(&info);
    if (context_ == nullptr) throw std::runtime_error("test server: no context");

    lws_context_creation_info vinfo{};
    vinfo.port = 0;
    vinfo.iface = "127.0.0.1";
    impl_->protocols = {
        lws_protocols{"http", http_callback, 0, 0, 0, nullptr, 0},
        lws_protocols{impl_->ws_name.data(), ws_callback, 0, 64 * 1024, 0, nullptr, 0},
        lws_protocols{nullptr, nullptr, 0, 0, 0, nullptr, 0}};
    vinfo.protocols = impl_->protocols.data();
    vinfo.vhost_name = "test-server";
    if (impl_->options.tls) {
        vinfo.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        vinfo.ssl_cert_filepath = impl_->options.cert.c_str();
        vinfo.ssl_private_key_filepath = impl_->options.key.c_str();
    }
    lws_vhost* vhost = lws_create_vhost(context_, &vinfo);
    if (vhost == nullptr) throw std::runtime_error("test server: no vhost");
    port_ = lws_get_vhost_listen_port(vhost);
    thread_ = std::thread([this] {
        while (!stop_) lws_service(context_, 0);
    });
}

void TestServer::stop_thread() {
    if (!thread_.joinable()) return;
    stop_ = true;
    lws_cancel_service(context_);
    thread_.join();
}

TestServer::~TestServer() {
    stop_thread();
    lws_context_destroy(context_);
}

void TestServer::reset(int refuse_status, std::optional<int> retry_after,
                       std::string select_subprotocol) {
    std::lock_guard lock(impl_->mutex);
    impl_->options.refuse_status = refuse_status;
    impl_->options.retry_after = retry_after;
    impl_->options.select_subprotocol = std::move(select_subprotocol);
    impl_->seen = Seen{};
    impl_->poll_script.clear();
}

void TestServer::script_polls(std::vector<PollReply> replies) {
    std::lock_guard lock(impl_->mutex);
    impl_->poll_script.assign(std::make_move_iterator(replies.begin()),
                              std::make_move_iterator(replies.end()));
}

TestServer& shared_tls_server() {
    // One TLS server for the whole process, deliberately never destroyed:
    // lws 4.1 keeps the SSL_CTX ex-data index in a process-wide global that
    // each new TLS context re-assigns, so destroying a context created before
    // the latest one leaks its client SSL_CTX. The agent has one context;
    // tests that create a server per case would report that leak.
    static TestServer* server = [] {
        ServerOptions o;
        o.cert = test_pki().server_cert;
        o.key = test_pki().server_key;
        auto* created = new TestServer(o);
        // Never destroyed, but its service thread must not outlive main():
        // at exit OpenSSL's own atexit handler (OPENSSL_cleanup) frees
        // libcrypto's global state, and a thread still inside lws_service()
        // finishing a handshake (e.g. with a client that just hung up on a
        // pin mismatch) then crashes on it, or hangs. Registered after the
        // context exists, hence after OpenSSL's handler, so it runs first.
        std::atexit([] { server->stop_thread(); });
        return created;
    }();
    return *server;
}

Seen TestServer::seen() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->seen;
}

}  // namespace outpost::transport::test
