#pragma once
// What the hub reports on stdout: one JSON object per line (flushed), or
// readable lines for the demo (--human), or almost nothing (--quiet-events).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "options.hpp"

namespace outpost::hub {

struct UpgradeInfo {
    int status = 101;
    std::string agent_id;
    std::string user_agent;
    std::string auth = "none";  // jwt | access_token | static | none
    std::string reason;
    std::string subprotocol;
};

// One poll exchange (§7) as the `poll` event reports it.
struct PollEvent {
    std::string session;  // the polling period's session; empty when it had none
    std::string agent_id;
    int status = 200;
    size_t received = 0;   // agent messages handled
    size_t carried = 0;    // server messages in the answer
    size_t bytes_in = 0;   // request body
    size_t bytes_out = 0;  // answer body (0 when not written)
    std::string reason;    // why it was refused or ended the period
    std::string dropped;   // set when the answer was not written, and why
};

class Events {
  public:
    explicit Events(OutputMode mode) : mode_(mode) {}

    void listening(int port, bool tls, std::string_view path);
    void upgrade(const UpgradeInfo& u);
    // `transport`: "websocket", or "poll" for a polling period (§7).
    void connected(std::string_view session, std::string_view agent_id, std::string_view auth,
                   std::string_view transport = "websocket");
    void poll(const PollEvent& p);
    // `msg_json`: the agent's message, minified; empty when it was not JSON.
    // `sealed`: the n of the sealed message it arrived in (§8), if it did.
    void message(std::string_view session, std::string_view type, std::string_view msg_json,
                 std::string_view raw_text, std::optional<uint64_t> sealed = {});
    // `sealed`: the n it went out with; `fault`: a `seal-fault` applied to it.
    void sent(std::string_view session, std::string_view type, std::string_view id,
              std::optional<uint64_t> sealed = {}, std::string_view fault = {});
    // §8: a session that seals (hello.seal accepted), one message opened, a refusal.
    void seal_started(std::string_view session, int64_t version, std::string_view epk);
    void sealed_opened(std::string_view session, uint64_t n, std::string_view outer_id,
                       std::string_view inner_type, size_t bytes);
    void seal_refused(std::string_view session, std::string_view reason, int code);
    void welcomed(std::string_view session, std::string_view agent_id, bool again);
    void closed(std::string_view session, int code, std::string_view reason, std::string_view by);
    // `header_agent_id`, `user_agent`: the request's X-Agent-Id and User-Agent.
    void token(int status, int64_t ttl, std::string_view agent_id, std::string_view reason,
               std::string_view header_agent_id = {}, std::string_view user_agent = {});
    void http(std::string_view method, std::string_view path, int status);
    void ok(std::string_view command);
    void status(std::string_view json_fields);
    void error(std::string_view message);
    void stopped();

  private:
    void emit(const std::string& json, const std::string& human, bool always = false);
    OutputMode mode_;
};

}  // namespace outpost::hub
