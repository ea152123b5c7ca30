#pragma once
// The §7 polling endpoint's logic, without lws: one polling period per node,
// each a Session (the same object a WebSocket connection has, so every agent
// message is handled exactly as if it had come over the WebSocket) whose
// outgoing queue is delivered in the next poll's answer instead of frames.
//
// A poll whose first message is `hello` starts a new period (a new session
// id, a `welcome` in the answer); any other poll without a period of its own
// (after a hub restart, or after the period ended) is answered 409 with
// `{"messages":[]}`. A server message leaves the period's queue only once the
// answer that carried it has been written (written()); an answer that was not
// (unwritten(), e.g. `drop-next-poll-reply`) puts its messages back in front.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http_reply.hpp"
#include "session.hpp"

namespace outpost::hub {

struct HubState;

// One poll as the server read it.
struct PollRequest {
    std::string agent_id;    // X-Agent-Id
    std::string user_agent;  // User-Agent
    std::string token;       // the bearer token of Authorization
    std::string body;
    bool too_large = false;  // the body went over the limit and was not kept
};

// The reply to write, and what it carries.
struct PollAnswer {
    HttpReply reply;
    std::string session;  // the period's session id; empty when there is none
    std::string agent_id;
    std::vector<Outgoing> carried;  // server messages in the body, in order
    size_t received = 0;            // agent messages handled from the request
    size_t bytes_in = 0;
    std::string reason;  // why a poll was refused or ended its period
    bool drop = false;   // `drop-next-poll-reply`: hang up instead of replying
};

class PollPeriods {
  public:
    explicit PollPeriods(HubState& hub) : hub_(hub) {}
    ~PollPeriods();
    PollPeriods(const PollPeriods&) = delete;
    PollPeriods& operator=(const PollPeriods&) = delete;

    // Authenticates, parses and handles one poll; the answer is not written yet.
    [[nodiscard]] PollAnswer handle(const PollRequest& req);
    // The answer was written: its messages are gone from the queue (`sent`
    // events), and a `poll` event reports the exchange.
    void written(PollAnswer& answer);
    // The answer was not written (dropped, or the write failed): its messages
    // go back in front of the period's queue for the next answer.
    void unwritten(PollAnswer& answer, std::string_view why);
    // A WebSocket session of `agent_id` came up: its polling period ends.
    void retire(std::string_view agent_id, std::string_view why);
    // The hub stops: every period ends with 1001.
    void end_all();

  private:
    [[nodiscard]] Session* start_period(const PollRequest& req, AuthKind auth);
    // Moves queued messages into `a` while the answer stays within max_message_bytes.
    void take_answer_messages(Session& session, PollAnswer& a);
    void end_period(std::string_view agent_id, int code, std::string_view reason,
                    std::string_view by);
    [[nodiscard]] PollAnswer refuse(const PollRequest& req, int status, std::string reason);
    [[nodiscard]] Session* find_session(std::string_view session_id) const;

    HubState& hub_;
    // By node id: at most one polling period per node.
    std::map<std::string, std::unique_ptr<Session>, std::less<>> periods_;
};

}  // namespace outpost::hub
