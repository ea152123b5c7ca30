#include "agent/runtime/session_parts.hpp"

#include "agent/common/version.hpp"
#include "agent/runtime/connection_settings.hpp"
#include "agent/runtime/session_record.hpp"
#include "agent/seal/sealing_connection.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/https_post.hpp"
#include "agent/transport/poll_connection.hpp"
#include "agent/transport/timer.hpp"
#include "agent/transport/ws_connection.hpp"
#include "collectors/host_info.hpp"

namespace outpost::runtime {
namespace {

class LoopTimer final : public DriverTimer {
  public:
    explicit LoopTimer(transport::EventLoop& loop) : timer_(loop) {}
    void schedule(std::chrono::milliseconds delay, std::function<void()> callback) override {
        timer_.schedule(delay, std::move(callback));
    }
    void cancel() override { timer_.cancel(); }

  private:
    transport::Timer timer_;
};

// auth.mode: exchange POSTs to the token endpoint over `https`, which the
// provider keeps alive for as long as it lives.
auth::HttpPostFn exchange_post(std::shared_ptr<transport::HttpsPost> https,
                               const auth::Identity& identity) {
    // The same identifying headers as the WebSocket upgrade (§1), so the
    // token endpoint's logs name the node and the agent version too.
    std::vector<std::pair<std::string, std::string>> headers{
        {"X-Agent-Id", identity.node_id}, {"User-Agent", "outpost/" + std::string(kAgentVersion)}};
    return
        [https = std::move(https), headers](const std::string& url, std::string body,
                                            std::function<void(Expected<auth::HttpReply>)> done) {
            auto started = https->post(
                transport::PostRequest{url, std::move(body), headers, std::chrono::seconds(10)},
                [done](Expected<transport::HttpResponse> reply) {
                    if (!reply) return done(std::unexpected(reply.error()));
                    done(auth::HttpReply{reply->status, std::move(reply->body)});
                });
            if (!started) done(std::unexpected(started.error()));
        };
}

std::unique_ptr<auth::TokenProvider> make_token_provider(transport::EventLoop& loop,
                                                         const config::Config& config,
                                                         const auth::Identity& identity,
                                                         const std::optional<std::string>& proxy) {
    auto clock = [] { return std::chrono::system_clock::now(); };
    auto ttl = std::chrono::duration_cast<std::chrono::seconds>(config.auth.token_ttl);
    switch (config.auth.mode) {
        case config::AuthMode::jwt:
            return auth::make_jwt_provider(identity, config.auth.audience, ttl, clock);
        case config::AuthMode::static_token:
            return auth::make_static_provider(config.auth.token_file.value_or(""), clock);
        case config::AuthMode::exchange:
            break;
    }
    auto https = std::make_shared<transport::HttpsPost>(loop, tls_settings(config), proxy);
    return auth::make_exchange_provider(identity, config.auth.audience, ttl,
                                        config.auth.token_url.value_or(""),
                                        exchange_post(std::move(https), identity), clock);
}

}  // namespace

SessionParts websocket_session_parts(transport::EventLoop& loop, const config::Config& config,
                                     const auth::Identity& identity) {
    SessionParts parts;
    parts.connect =
        connect_settings(config, identity.node_id, transport::ProxyEnv::from_environment());
    parts.make_connection = [&loop](transport::ConnectionEvents events) {
        return std::make_unique<transport::WsConnection>(loop, std::move(events));
    };
    if (config.security.server_seal_key) {
        // protocol.md §8: every message after hello is sealed and opened in
        // this one place of the transport path (polling, §7, is wrapped
        // the same way below).
        parts.make_connection =
            [&identity, server = *config.security.server_seal_key,
             make_ws = std::move(parts.make_connection)](transport::ConnectionEvents events) {
                return std::make_unique<seal::SealingConnection>(
                    seal::agent_key_pair(identity.secret_key), server, std::move(events), make_ws);
            };
    }
    if (config.server.poll_url) {
        parts.poll_connect = poll_connect_settings(config, identity.node_id,
                                                   transport::ProxyEnv::from_environment());
        parts.make_poll_connection = [&loop](transport::ConnectionEvents events) {
            return std::make_unique<transport::PollConnection>(loop, std::move(events));
        };
        if (config.security.server_seal_key) {
            // §8: polled messages are sealed like the WebSocket's, one
            // channel (ephemeral key, counters) per polling period.
            parts.make_poll_connection = [&identity, server = *config.security.server_seal_key,
                                          make_poll = std::move(parts.make_poll_connection)](
                                             transport::ConnectionEvents events) {
                return std::make_unique<seal::SealingConnection>(
                    seal::agent_key_pair(identity.secret_key), server, std::move(events),
                    make_poll);
            };
        }
    }
    parts.tokens = make_token_provider(loop, config, identity, parts.connect.proxy);
    parts.make_timer = [&loop] { return std::make_unique<LoopTimer>(loop); };
    parts.clock = std::make_unique<session::SystemClock>();
    parts.random = std::make_unique<session::SystemRandom>();
    parts.session_record = session_record_path(config.node.state_dir);
    parts.boot_id = collectors::collect_host_info().boot_id;
    return parts;
}

}  // namespace outpost::runtime
