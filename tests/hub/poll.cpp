#include "poll.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "envelope.hpp"
#include "hub.hpp"
#include "poll_body.hpp"

namespace outpost::hub {
namespace {

// The answer of a poll that has no period to go on with: §7 is silent here;
// 409 says "start again with hello" (see docs/test-hub.md).
constexpr int kNoPeriod = 409;

// How a session's close request reads as the status of the poll that caused
// it: 4004 (version) → 426, which §7 reads as a version mismatch; 1009 (too
// big) → 413; anything else ends the period → 409.
int status_for_close(int code) {
    if (code == 4004) return 426;
    if (code == 1009) return 413;
    return kNoPeriod;
}

HttpReply empty_answer(int status) {
    return HttpReply{.status = status,
                     .content_type = "application/json",
                     .body = R"({"messages":[]})",
                     .headers = {}};
}

}  // namespace

PollPeriods::~PollPeriods() {
    for (auto& [agent, session] : periods_) std::erase(hub_.live, session.get());
}

PollAnswer PollPeriods::refuse(const PollRequest& req, int status, std::string reason) {
    PollAnswer a;
    a.agent_id = req.agent_id;
    a.bytes_in = req.body.size();
    if (status == kNoPeriod || status == 426) {
        a.reply = empty_answer(status);
    } else {
        a.reply = HttpReply{
            .status = status, .content_type = "text/plain", .body = reason + "\n", .headers = {}};
    }
    if (status == 401) {
        a.reply.headers.emplace_back("www-authenticate:", "Bearer error=\"invalid_token\"");
    }
    a.reason = std::move(reason);  // reported by the `poll` event once written
    return a;
}

PollAnswer PollPeriods::handle(const PollRequest& req) {
    if (req.too_large) return refuse(req, 413, "poll body too large");
    if (req.agent_id.empty()) return refuse(req, 400, "X-Agent-Id required");
    auto auth = hub_.auth.check_bearer(req.token, req.agent_id, unix_now());
    if (!auth) return refuse(req, 401, auth.error().message());
    auto body = parse_poll_request(req.body);
    if (!body) return refuse(req, body.error().status, body.error().reason);

    Session* session = nullptr;
    if (body->starts_period) {
        session = start_period(req, auth->kind);
    } else if (auto it = periods_.find(req.agent_id); it != periods_.end()) {
        session = it->second.get();
    } else {
        return refuse(req, kNoPeriod, "no polling period: a period starts with hello");
    }

    PollAnswer a;
    a.agent_id = req.agent_id;
    a.session = session->id();
    a.bytes_in = req.body.size();
    for (const auto& text : body->messages) {
        if (session->close_request() || session->drop_requested()) break;
        session->on_receive(text, true, false);  // exactly as a WebSocket text frame
        ++a.received;
    }
    if (session->close_request() || session->drop_requested()) {
        // The session ended (a `close`/`drop` command, or the protocol closed
        // it): so does the period; the agent starts the next with hello.
        const CloseRequest close =
            session->close_request().value_or(CloseRequest{1006, "dropped by hub"});
        end_period(req.agent_id, close.code, close.reason, "hub");
        a.reply = empty_answer(status_for_close(close.code));
        a.reason = fmt::format("period ended: {} {}", close.code, close.reason);
        a.session.clear();
        return a;
    }
    take_answer_messages(*session, a);
    std::vector<std::string_view> texts;
    for (const auto& o : a.carried) texts.push_back(o.text);
    a.reply = HttpReply{.status = 200,
                        .content_type = "application/json",
                        .body = render_poll_answer(texts),
                        .headers = {}};
    if (hub_.drop_poll_reply &&
        (hub_.drop_poll_reply->empty() ||
         std::ranges::find(body->types, *hub_.drop_poll_reply) != body->types.end())) {
        hub_.drop_poll_reply.reset();
        a.drop = true;
    }
    return a;
}

// The answer body, `{"messages":[...]}` included, stays within
// max_message_bytes (our reading of §7, docs/protocol-notes.md): what does
// not fit waits for the next poll, which the agent makes at once because
// this answer carried messages. A message too large on its own still goes,
// alone: that is a test's doing, and the agent's refusal is what it tests.
void PollPeriods::take_answer_messages(Session& session, PollAnswer& a) {
    const auto limit = static_cast<std::size_t>(hub_.opts.max_message_bytes);
    std::size_t size = render_poll_answer({}).size();
    while (auto out = session.next_output()) {
        const std::size_t grows = out->text.size() + (a.carried.empty() ? 0 : 1);  // the comma
        if (!a.carried.empty() && size + grows > limit) {
            std::vector<Outgoing> rest;
            rest.push_back(std::move(*out));
            session.requeue_front(std::move(rest));
            return;
        }
        size += grows;
        a.carried.push_back(std::move(*out));
    }
}

Session* PollPeriods::start_period(const PollRequest& req, AuthKind auth) {
    if (periods_.contains(req.agent_id)) {
        end_period(req.agent_id, 1000, "new polling period", "agent");
    }
    const std::string id = fmt::format("s-{}", ++hub_.sessions_started);
    auto session = std::make_unique<Session>(
        hub_, id,
        ConnInfo{
            .agent_id = req.agent_id, .user_agent = req.user_agent, .auth = auth, .polled = true},
        [] {});  // nothing to wake: the queue waits for the next poll
    Session* raw = session.get();
    periods_[req.agent_id] = std::move(session);
    hub_.live.push_back(raw);
    hub_.events.connected(id, req.agent_id, to_string(auth), "poll");
    return raw;
}

void PollPeriods::end_period(std::string_view agent_id, int code, std::string_view reason,
                             std::string_view by) {
    auto it = periods_.find(agent_id);
    if (it == periods_.end()) return;
    hub_.events.closed(it->second->id(), code, reason, by);
    std::erase(hub_.live, it->second.get());
    periods_.erase(it);
}

void PollPeriods::retire(std::string_view agent_id, std::string_view why) {
    end_period(agent_id, 1000, why, "hub");
}

void PollPeriods::end_all() {
    while (!periods_.empty()) {
        end_period(std::string(periods_.begin()->first), 1001, "hub shutting down", "hub");
    }
}

Session* PollPeriods::find_session(std::string_view session_id) const {
    for (const auto& [agent, session] : periods_) {
        if (session->id() == session_id) return session.get();
    }
    return nullptr;
}

void PollPeriods::written(PollAnswer& a) {
    for (const auto& o : a.carried) {
        if (!o.quiet) hub_.events.sent(a.session, o.type, o.id, o.sealed_n, o.fault);
    }
    hub_.events.poll(PollEvent{.session = a.session,
                               .agent_id = a.agent_id,
                               .status = a.reply.status,
                               .received = a.received,
                               .carried = a.carried.size(),
                               .bytes_in = a.bytes_in,
                               .bytes_out = a.reply.body.size(),
                               .reason = a.reason,
                               .dropped = {}});
    a.carried.clear();
}

void PollPeriods::unwritten(PollAnswer& a, std::string_view why) {
    hub_.events.poll(PollEvent{.session = a.session,
                               .agent_id = a.agent_id,
                               .status = a.reply.status,
                               .received = a.received,
                               .carried = a.carried.size(),
                               .bytes_in = a.bytes_in,
                               .bytes_out = 0,
                               .reason = a.reason,
                               .dropped = std::string(why)});
    if (Session* s = find_session(a.session)) s->requeue_front(std::move(a.carried));
    a.carried.clear();
}

}  // namespace outpost::hub
