#pragma once
// What the polling tests (protocol.md §7; test_polling*.cpp) share: the
// agent's polling settings, and waiting for a polling period or a
// WebSocket session to be up end to end.

#include <string>

#include "rig.hpp"

namespace outpost::integration {

// A poll a second and the fallback's keys pointing at `poll_url`. Each test
// sets server.transport or relies on failed upgrades (3 in a row start
// polling at once, whatever poll_after says).
void configure_polling(Agent& agent, const std::string& poll_url);

// Waits from hub event `from` / agent log line `log_from` for a polling
// period that is up end to end: `connected` with transport poll, the
// hub's `welcome` written in that session, and the agent's "online over
// polling (session s-N" line. Returns the session id.
std::string wait_polling(Rig& rig, std::size_t from, std::size_t log_from,
                         std::chrono::milliseconds limit = kFirstOnline);

// The same for a WebSocket session after a switch back: `connected` with
// transport websocket, `welcome` sent, and the agent's "transport: websocket
// again" line. Returns the session id.
std::string wait_websocket_back(Rig& rig, std::size_t from, std::size_t log_from,
                                std::chrono::milliseconds limit = kFirstOnline);

}  // namespace outpost::integration
