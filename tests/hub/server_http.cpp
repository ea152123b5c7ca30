// The server's plain HTTP side: the token endpoint (§2), the poll endpoint
// (§7, logic in poll.cpp), and the answers to anything else.
#include <fmt/format.h>

#include "envelope.hpp"
#include "request_headers.hpp"
#include "server.hpp"

namespace outpost::hub {
namespace {

constexpr size_t kMaxTokenBody = 64 * 1024;
// Slack over --max-message-bytes for a poll body's own wrapper (§7 limits the
// messages to protocol.max_message_bytes in total, not the envelope around them).
constexpr size_t kPollEnvelopeSlack = 4096;

}  // namespace

int Server::on_http(lws* wsi, std::string_view uri) {
    HttpRequest req;
    req.method = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 ? "POST" : "GET";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 &&
        lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0) {
        req.method = "OTHER";
    }
    req.path = std::string(path_only(uri));
    req.agent_id = custom_header(wsi, "x-agent-id:");
    req.user_agent = header(wsi, WSI_TOKEN_HTTP_USER_AGENT);
    req.token = bearer_token(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
    const std::string length = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    auto& stored = http_[wsi] = std::move(req);
    if (stored.method == "POST" && !length.empty() && length != "0") return 0;  // body follows
    answer_http(wsi, stored);
    return 0;
}

size_t Server::body_limit(std::string_view path) const {
    if (path == kPollPath) {
        return static_cast<size_t>(hub_.opts.max_message_bytes) + kPollEnvelopeSlack;
    }
    return kMaxTokenBody;
}

void Server::answer_http(lws* wsi, HttpRequest& req) {
    if (req.path == kPollPath && req.method == "POST") {
        req.poll = poll_.handle(PollRequest{.agent_id = req.agent_id,
                                            .user_agent = req.user_agent,
                                            .token = req.token,
                                            .body = std::move(req.body),
                                            .too_large = req.too_large});
        req.reply = req.poll->reply;
    } else if (req.path == kTokenPath && req.method == "POST") {
        if (req.too_large) {
            req.reply = text_reply(413, "body too large");
            hub_.events.token(413, 0, "", "body too large", req.agent_id, req.user_agent);
        } else {
            auto out = hub_.tokens.handle(req.body, req.agent_id, unix_now());
            hub_.events.token(out.reply.status, out.ttl, out.agent_id, out.reason, req.agent_id,
                              req.user_agent);
            req.reply = std::move(out.reply);
        }
    } else {
        if (req.path == kTokenPath || req.path == kPollPath) {
            req.reply = text_reply(405, "use POST");
            req.reply->headers.emplace_back("allow:", "POST");
        } else if (req.path == kAgentPath) {
            req.reply = text_reply(426, "websocket upgrade required");
            req.reply->headers.emplace_back("upgrade:", "websocket");
        } else {
            req.reply = text_reply(404, "not found");
        }
        hub_.events.http(req.method, req.path, req.reply->status);
    }
    lws_callback_on_writable(wsi);
}

int Server::on_http_writeable(lws* wsi) {
    auto it = http_.find(wsi);
    if (it == http_.end() || !it->second.reply) return 0;
    const HttpReply reply = std::move(*it->second.reply);
    std::optional<PollAnswer> poll = std::move(it->second.poll);
    http_.erase(it);
    if (poll && poll->drop) {
        poll_.unwritten(*poll, "drop-next-poll-reply");
        return -1;  // hang up: the agent never gets the answer
    }
    if (!write_http_reply(wsi, reply)) {
        if (poll) poll_.unwritten(*poll, "write failed");
        return -1;
    }
    if (poll) poll_.written(*poll);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

}  // namespace outpost::hub
