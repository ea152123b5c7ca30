#pragma once
// The hub's state shared by the server callbacks, the sessions and the
// control commands. Single-threaded: everything runs on the lws service loop.

#include <optional>
#include <vector>

#include "auth.hpp"
#include "events.hpp"
#include "options.hpp"
#include "seal.hpp"
#include "seal_channel.hpp"
#include "token_endpoint.hpp"

namespace outpost::hub {

class Session;

struct Refusal {
    int status = 503;
    std::optional<int64_t> retry_after_s;
    int remaining = 1;
    bool until_accepted = false;  // `refuse-upgrades`: every upgrade until `accept-upgrades`
};

struct HubState {
    HubState(const Options& o, JwtPolicy policy);

    const Options& opts;
    Events events;
    Authenticator auth;
    TokenEndpoint tokens;
    bool silent = false;
    bool auto_ack = true;
    bool auto_pong = true;  // answer the agent's ping with pong{ref}
    std::optional<Refusal> refusal;
    // `drop-next-poll-reply [type]`: the next poll (carrying an agent message
    // of that type, when given; "" = any) is handled, then its connection
    // closed without an answer (a reply lost after the server processed it).
    std::optional<std::string> drop_poll_reply;
    int sessions_started = 0;
    std::vector<Session*> live;  // established sessions, oldest first
    bool stop_requested = false;
    // --seal-key: the server's X25519 pair (§8). Unset: the hub does not seal.
    std::optional<seal::Key> seal_private;
    seal::Key seal_public{};
    // `seal-fault`: how the next sealed message the hub sends misbehaves (one shot).
    std::optional<SealFault> seal_fault;

    // The newest established session: the one control commands address.
    [[nodiscard]] Session* current() const { return live.empty() ? nullptr : live.back(); }
};

}  // namespace outpost::hub
