#include "token_endpoint.hpp"

#include "json_in.hpp"
#include "json_out.hpp"

namespace outpost::hub {
namespace {

constexpr std::string_view kGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

TokenOutcome oauth_error(int status, std::string_view error, std::string reason) {
    TokenOutcome out;
    out.reply.status = status;
    out.reply.body = JsonObject().str("error", error).str("error_description", reason).done();
    out.reason = std::move(reason);
    return out;
}

}  // namespace

void TokenEndpoint::script_failure(int status, int count, std::string body) {
    script_ = Script{.status = status, .remaining = count, .body = std::move(body)};
}

TokenOutcome TokenEndpoint::handle(std::string_view body, std::string_view agent_id_header,
                                   int64_t now) {
    if (script_ && script_->remaining > 0) {
        TokenOutcome out;
        out.reply.status = script_->status;
        out.reply.body = script_->body;
        out.reason = "scripted";
        if (--script_->remaining == 0) script_.reset();
        return out;
    }
    auto doc = JsonDoc::parse(body);
    if (!doc || !doc->is_object())
        return oauth_error(400, "invalid_request", "body is not a JSON object");
    if (get_str(doc->root(), "grant_type") != kGrantType) {
        return oauth_error(400, "unsupported_grant_type", "grant_type must be jwt-bearer");
    }
    auto assertion = get_str(doc->root(), "assertion");
    if (!assertion) return oauth_error(400, "invalid_request", "assertion missing");
    auto jwt = auth_.check_assertion(*assertion, agent_id_header, now);
    if (!jwt) return oauth_error(401, "invalid_grant", jwt.error().message());

    TokenOutcome out;
    out.agent_id = jwt->subject;
    out.ttl = ttl_s_;
    // `now` is whole seconds: expiring at now + ttl would cut up to a second
    // off the promised expires_in (a 2 s token could die 1.1 s after issue).
    // One more second keeps every token valid for at least expires_in.
    const auto token = auth_.issue_access_token(jwt->subject, now + ttl_s_ + 1);
    out.reply.body = JsonObject()
                         .str("access_token", token)
                         .str("token_type", "Bearer")
                         .num("expires_in", ttl_s_)
                         .done();
    out.reply.headers.emplace_back("cache-control:", "no-store");
    return out;
}

}  // namespace outpost::hub
