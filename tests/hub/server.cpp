#include "server.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "envelope.hpp"
#include "request_headers.hpp"

namespace outpost::hub {
namespace {

constexpr lws_usec_t kTickUs = 200 * LWS_US_PER_MS;
constexpr lws_usec_t kStopGraceUs = 2 * LWS_USEC_PER_SEC;

volatile std::sig_atomic_t g_signals = 0;

extern "C" void on_signal(int) {
    g_signals = g_signals + 1;
}

}  // namespace

struct Server::Conn {
    TimerSlot hello_timer{};
    TimerSlot ping_timer{};  // the pings of `stop-reading`
    lws* wsi = nullptr;
    std::unique_ptr<Session> session;
    std::optional<CloseRequest> peer_close;
    std::optional<CloseRequest> hub_close;
    bool dropped = false;

    ~Conn() {
        lws_sul_cancel(&hello_timer.sul);
        lws_sul_cancel(&ping_timer.sul);
    }
};

Server::Server(HubState& hub, Control& control) : hub_(hub), control_(control), poll_(hub) {
    const auto proto = [](const char* name) {
        lws_protocols p{};
        p.name = name;
        p.callback = &Server::callback;
        p.rx_buffer_size = 64 * 1024;
        return p;
    };
    protocols_ = {proto("http"), proto(subprotocol_name_.data()), lws_protocols{}};
    tick_.owner = this;
}

Server::~Server() {
    if (context_) lws_context_destroy(context_);
}

int Server::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* self = static_cast<Server*>(lws_context_user(lws_get_context(wsi)));
    if (!self) return lws_callback_http_dummy(wsi, reason, user, in, len);
    return self->on_event(wsi, reason, user, in, len);
}

int Server::on_event(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
    // See FILTER_PROTOCOL_CONNECTION below: the name differs (blank, or
    // --select-subprotocol) only while lws writes the 101 response.
    if (reason != LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION &&
        std::string_view(subprotocol_name_.data()) != "outpost.v1") {
        std::snprintf(subprotocol_name_.data(), subprotocol_name_.size(), "%s", "outpost.v1");
    }
    switch (reason) {
        case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
            // `len` carries OpenSSL's preverify_ok; 0 here means "accept".
            if (len == 0) hub_.events.error("TLS client certificate rejected");
            return len ? 0 : 1;
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirm_upgrade(wsi, in ? static_cast<const char*>(in) : "");
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            // lws 4.1 answers with the subprotocol it matched and has no API to
            // select none, but it omits the header when the bound protocol's
            // name is empty: blank our name for the handshake (restored on
            // the next callback, ESTABLISHED at the latest).
            if (hub_.opts.no_subprotocol) subprotocol_name_[0] = '\0';
            if (!hub_.opts.select_subprotocol.empty())
                std::snprintf(subprotocol_name_.data(), subprotocol_name_.size(), "%s",
                              hub_.opts.select_subprotocol.c_str());
            return 0;
        case LWS_CALLBACK_ESTABLISHED:
            on_established(wsi);
            return 0;
        case LWS_CALLBACK_RECEIVE:
            if (auto it = conns_.find(wsi); it != conns_.end()) {
                it->second->session->on_receive(
                    std::string_view(static_cast<const char*>(in), len),
                    lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi),
                    lws_frame_is_binary(wsi));
            }
            return 0;
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return on_ws_writeable(wsi);
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (auto it = conns_.find(wsi); it != conns_.end() && len >= 2) {
                const auto* p = static_cast<const unsigned char*>(in);
                it->second->peer_close = CloseRequest{
                    .code = (p[0] << 8) | p[1],
                    .reason = std::string(reinterpret_cast<const char*>(p + 2), len - 2)};
            } else if (it != conns_.end()) {
                it->second->peer_close = CloseRequest{.code = 1005, .reason = {}};
            }
            return 0;
        case LWS_CALLBACK_CLOSED:
            on_closed(wsi);
            return 0;
        case LWS_CALLBACK_HTTP:
            return on_http(wsi, in ? static_cast<const char*>(in) : "");
        case LWS_CALLBACK_HTTP_BODY:
            if (auto it = http_.find(wsi); it != http_.end()) {
                auto& req = it->second;
                if (req.body.size() + len > body_limit(req.path)) {
                    req.too_large = true;
                } else {
                    req.body.append(static_cast<const char*>(in), len);
                }
            }
            return 0;
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            if (auto it = http_.find(wsi); it != http_.end()) answer_http(wsi, it->second);
            return 0;
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return on_http_writeable(wsi);
        case LWS_CALLBACK_RAW_RX_FILE:
            return on_stdin(wsi);
        case LWS_CALLBACK_RAW_CLOSE_FILE:
            if (!stopping_) {
                control_.on_eof();
                hub_.stop_requested = true;
            }
            return 0;
        case LWS_CALLBACK_WSI_DESTROY:
            forget(wsi);
            return 0;
        default:
            return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int Server::refuse(lws* wsi, UpgradeInfo& ev, HttpReply reply) {
    ev.status = reply.status;
    hub_.events.upgrade(ev);
    reply.headers.emplace_back("connection:", "close");
    if (!write_http_reply(wsi, reply)) return -1;
    return 1;  // lws completes the transaction
}

int Server::confirm_upgrade(lws* wsi, std::string_view upgrade) {
    UpgradeInfo ev;
    ev.agent_id = custom_header(wsi, "x-agent-id:");
    ev.user_agent = header(wsi, WSI_TOKEN_HTTP_USER_AGENT);
    const std::string offered = header(wsi, WSI_TOKEN_PROTOCOL);
    const std::string path(path_only(header(wsi, WSI_TOKEN_GET_URI)));

    if (upgrade != "websocket") {
        ev.reason = "only websocket upgrades";
        return refuse(wsi, ev, text_reply(400, ev.reason));
    }
    if (path != kAgentPath) {
        ev.reason = "no websocket endpoint at " + path;
        return refuse(wsi, ev, text_reply(404, ev.reason));
    }
    if (hub_.refusal) {
        Refusal& r = *hub_.refusal;
        ev.reason = "scripted";
        HttpReply reply = text_reply(r.status, "refused by test script");
        if (r.retry_after_s)
            reply.headers.emplace_back("retry-after:", std::to_string(*r.retry_after_s));
        if (r.status == 401) reply.headers.emplace_back("www-authenticate:", "Bearer");
        if (!r.until_accepted && --r.remaining <= 0) hub_.refusal.reset();
        return refuse(wsi, ev, std::move(reply));
    }
    if (!hub_.opts.no_subprotocol && !offered.empty() && !offers(offered, "outpost.v1")) {
        ev.reason = "no acceptable subprotocol in '" + offered + "'";
        return refuse(wsi, ev, text_reply(400, ev.reason));
    }
    const std::string token = bearer_token(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
    auto auth = hub_.auth.check_bearer(token, ev.agent_id, unix_now());
    if (!auth) {
        ev.reason = auth.error().message();
        HttpReply reply = text_reply(401, "unauthorized");
        reply.headers.emplace_back("www-authenticate:", "Bearer error=\"invalid_token\"");
        return refuse(wsi, ev, std::move(reply));
    }
    ev.auth = std::string(to_string(auth->kind));
    if (!hub_.opts.no_subprotocol && offers(offered, "outpost.v1")) ev.subprotocol = "outpost.v1";
    accepted_[wsi] = Accepted{.info = ConnInfo{.agent_id = ev.agent_id,
                                               .user_agent = ev.user_agent,
                                               .auth = auth->kind,
                                               .polled = false},
                              .subprotocol = ev.subprotocol};
    hub_.events.upgrade(ev);
    return 0;
}

void Server::on_established(lws* wsi) {
    auto acc = accepted_.find(wsi);
    ConnInfo info = acc != accepted_.end() ? acc->second.info : ConnInfo{};
    if (acc != accepted_.end()) accepted_.erase(acc);
    // §7: the agent switches back the moment a WebSocket comes up, so its
    // polling period (if any) is over; a poll still in flight gets 409.
    if (!info.agent_id.empty()) poll_.retire(info.agent_id, "websocket session started");

    auto conn = std::make_unique<Conn>();
    conn->wsi = wsi;
    conn->hello_timer.owner = conn.get();
    conn->ping_timer.owner = conn.get();
    const std::string id = fmt::format("s-{}", ++hub_.sessions_started);
    conn->session = std::make_unique<Session>(hub_, id, std::move(info),
                                              [wsi] { lws_callback_on_writable(wsi); });
    hub_.live.push_back(conn->session.get());
    hub_.events.connected(id, conn->session->info().agent_id,
                          to_string(conn->session->info().auth));
    lws_sul_schedule(
        context_, 0, &conn->hello_timer.sul,
        [](lws_sorted_usec_list_t* sul) {
            auto* c = static_cast<Conn*>(reinterpret_cast<TimerSlot*>(sul)->owner);
            c->session->on_hello_deadline();
        },
        hub_.opts.hello_timeout_s * LWS_USEC_PER_SEC);
    conns_[wsi] = std::move(conn);
}

int Server::on_ws_writeable(lws* wsi) {
    auto it = conns_.find(wsi);
    if (it == conns_.end()) return 0;
    Conn& c = *it->second;
    Session& s = *c.session;
    if (s.drop_requested()) {
        c.dropped = true;
        return -1;  // no close reason: lws hangs up without a close frame
    }
    if (s.take_read_stop_change()) apply_read_stop(c);
    if (auto out = s.next_output()) {
        std::vector<unsigned char> buf(LWS_PRE + out->text.size());
        std::copy(out->text.begin(), out->text.end(), buf.begin() + LWS_PRE);
        const int n = lws_write(wsi, buf.data() + LWS_PRE, out->text.size(), LWS_WRITE_TEXT);
        if (n < static_cast<int>(out->text.size())) {
            hub_.events.error(fmt::format("session {}: write failed", s.id()));
            return -1;
        }
        if (!out->quiet) hub_.events.sent(s.id(), out->type, out->id, out->sealed_n, out->fault);
        if (s.has_output() || s.close_request() || s.drop_requested())
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (const auto& close = s.close_request()) {
        c.hub_close = *close;
        lws_close_reason(wsi, static_cast<lws_close_status>(close->code),
                         reinterpret_cast<unsigned char*>(const_cast<char*>(close->reason.data())),
                         close->reason.size());
        return -1;
    }
    return 0;
}

// `stop-reading`: lws stops polling the socket for input, so the agent's
// frames pile up in the kernel buffers and then in the agent; the hub keeps
// writing (pings on a timer), which keeps the agent's read side alive.
void Server::apply_read_stop(Conn& c) {
    const auto& stop = c.session->read_stop();
    lws_rx_flow_control(c.wsi, stop ? 0 : 1);
    lws_sul_cancel(&c.ping_timer.sul);
    if (!stop) return;
    lws_sul_schedule(context_, 0, &c.ping_timer.sul, &Server::on_ping_timer,
                     stop->every_ms * LWS_USEC_PER_SEC / 1000);
}

void Server::on_ping_timer(lws_sorted_usec_list_t* sul) {
    auto* c = static_cast<Conn*>(reinterpret_cast<TimerSlot*>(sul)->owner);
    const auto& stop = c->session->read_stop();
    if (!stop) return;
    c->session->send_flood_pings();
    lws_sul_schedule(lws_get_context(c->wsi), 0, sul, sul->cb,
                     stop->every_ms * LWS_USEC_PER_SEC / 1000);
}

void Server::on_closed(lws* wsi) {
    auto it = conns_.find(wsi);
    if (it == conns_.end()) return;
    Conn& c = *it->second;
    int code = 1006;
    std::string reason;
    std::string by = "network";
    if (c.dropped) {
        reason = "dropped by hub", by = "hub";
    } else if (c.hub_close) {
        code = c.hub_close->code, reason = c.hub_close->reason, by = "hub";
    } else if (c.peer_close) {
        code = c.peer_close->code, reason = c.peer_close->reason, by = "agent";
    }
    hub_.events.closed(c.session->id(), code, reason, by);
    std::erase(hub_.live, c.session.get());
    conns_.erase(it);
}

int Server::on_stdin(lws* wsi) {
    std::array<char, 64 * 1024> buf{};
    const ssize_t n = ::read(lws_get_socket_fd(wsi), buf.data(), buf.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) return -1;  // end of input: RAW_CLOSE_FILE stops the hub
    control_.on_input(std::string_view(buf.data(), static_cast<size_t>(n)));
    return 0;
}

void Server::forget(lws* wsi) {
    accepted_.erase(wsi);
    http_.erase(wsi);
    if (auto it = conns_.find(wsi); it != conns_.end()) {
        std::erase(hub_.live, it->second->session.get());
        conns_.erase(it);
    }
}

Expected<void> Server::write_port_file(int port) const {
    const std::string& path = hub_.opts.port_file;
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << "\n";
        if (!out.flush()) return fail("cannot write " + tmp);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return fail("cannot rename " + tmp + " to " + path + ": " + ec.message());
    return {};
}

Expected<void> Server::start() {
    const Options& o = hub_.opts;
    lws_set_log_level(o.verbose ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : LLL_ERR, nullptr);

    lws_context_creation_info ci{};
    ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    ci.user = this;
    ci.max_http_header_data = 16 * 1024;
    ci.pt_serv_buf_size = 32 * 1024;
    context_ = lws_create_context(&ci);
    if (!context_) return fail("lws_create_context failed");

    lws_context_creation_info vi{};
    vi.vhost_name = "outpost-hub";
    vi.port = o.port;
    vi.iface = o.host.c_str();
    vi.protocols = protocols_.data();
    vi.alpn = "http/1.1";  // the agent speaks HTTP/1.1 upgrades; keep curl off h2
    if (!o.plaintext) {
        const std::filesystem::path dir(o.certs_dir);
        cert_file_ = o.cert_file.empty() ? (dir / "server.pem").string() : o.cert_file;
        key_file_ = o.key_file.empty() ? (dir / "server.key").string() : o.key_file;
        ca_file_ = o.client_ca_file.empty() ? (dir / "ca.pem").string() : o.client_ca_file;
        vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;  // per vhost too, or no TLS
        vi.ssl_cert_filepath = cert_file_.c_str();
        vi.ssl_private_key_filepath = key_file_.c_str();
        vi.ssl_options_set =
            static_cast<long>(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
        if (o.require_client_cert) {
            vi.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
            vi.ssl_ca_filepath = ca_file_.c_str();
        }
    }
    vhost_ = lws_create_vhost(context_, &vi);
    if (!vhost_) return fail(fmt::format("cannot listen on {}:{}", o.host, o.port));
    const int port = lws_get_vhost_listen_port(vhost_);

    if (!o.port_file.empty()) {
        if (auto ok = write_port_file(port); !ok) return ok;
    }
    hub_.events.listening(port, !o.plaintext, kAgentPath);

    if (o.read_stdin) {
        lws_sock_file_fd_type fd{};
        fd.filefd = 0;
        if (!lws_adopt_descriptor_vhost(vhost_, LWS_ADOPT_RAW_FILE_DESC, fd, "http", nullptr)) {
            hub_.events.error("cannot read control commands from stdin");
        }
    }
    return {};
}

void Server::begin_stop() {
    stopping_ = true;
    stop_deadline_ = lws_now_usecs() + kStopGraceUs;
    poll_.end_all();  // no connection to close: polling periods end at once
    for (Session* s : hub_.live) s->close(1001, "hub shutting down");
}

int Server::run() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    // A short tick keeps the loop checking the stop flags: a signal only
    // interrupts poll() when it lands while the loop is waiting.
    lws_sul_schedule(
        context_, 0, &tick_.sul,
        [](lws_sorted_usec_list_t* sul) {
            auto* self = static_cast<Server*>(reinterpret_cast<TimerSlot*>(sul)->owner);
            lws_sul_schedule(self->context_, 0, sul, sul->cb, kTickUs);
        },
        kTickUs);
    while (true) {
        if (g_signals > 1) break;
        if ((g_signals > 0 || hub_.stop_requested) && !stopping_) begin_stop();
        if (stopping_ && (hub_.live.empty() || lws_now_usecs() > stop_deadline_)) break;
        if (lws_service(context_, 0) < 0) break;
    }
    lws_sul_cancel(&tick_.sul);
    lws_context_destroy(context_);
    context_ = nullptr;
    hub_.events.stopped();
    return 0;
}

}  // namespace outpost::hub
