#pragma once
// Commands as hub control lines, and the events that answer them: what the
// command, journal, alert and sealed-message tests share.

#include <string>
#include <vector>

#include "hub.hpp"

namespace outpost::integration {

// `send-type execute {...}` for a command with string arguments.
std::string execute_line(const std::string& request_id, const std::string& command,
                         const std::vector<std::string>& args);

// The agent's command_ack / command_result for `request_id`.
EventPredicate ack_for(const std::string& request_id);
EventPredicate result_for(const std::string& request_id);

// `pred`, and only on the session named `session` (a hub session id).
EventPredicate in_session(EventPredicate pred, std::string session);

}  // namespace outpost::integration
