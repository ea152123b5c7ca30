#pragma once
// The bodies of protocol.md §7 polls, without any transport: the agent's
// request `{"protocol":"outpost.v1","messages":[...]}` and the hub's answer
// `{"messages":[...]}`. Pure functions, unit-tested in test_poll_body.cpp.

#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::hub {

struct PollRequestBody {
    // Each agent message as compact JSON text, oldest first: what a WebSocket
    // text frame would have carried, so the session handles it the same way.
    std::vector<std::string> messages;
    std::vector<std::string> types;  // each message's `type` ("" when it has none)
    // messages[0] is a `hello`: the poll starts a new polling period (§7).
    bool starts_period = false;
};

// Why a body was refused, and the HTTP status that says so.
struct PollBodyError {
    int status = 400;
    std::string reason;
};

// Parses a request body. `protocol`, when present, must be `outpost.v1`
// (another one → 426, the status §7 reads as a version mismatch); `messages`
// must be an array of objects (→ 400 otherwise).
[[nodiscard]] std::expected<PollRequestBody, PollBodyError> parse_poll_request(
    std::string_view body);

// The answer body. Each text is placed in the array as is: normally a JSON
// object; the raw text of a `send` may make the whole body invalid JSON,
// which is what that command is for.
[[nodiscard]] std::string render_poll_answer(const std::vector<std::string_view>& messages);

}  // namespace outpost::hub
