#pragma once
// One test's world: a temp dir, a hub that accepts the agent's identity key,
// and the agent (not started). Members are destroyed in reverse order: the
// agent stops first, then the hub, then the directory goes.

#include <catch2/catch.hpp>
#include <string>

#include "agent.hpp"
#include "hub.hpp"
#include "support.hpp"

namespace outpost::integration {

// Generous bounds: sanitizer builds on a loaded two-core machine. Tests
// assert on order and on bounds the agent's own timing leaves slack for,
// never on how fast this machine is.
inline constexpr auto kFirstOnline = 30s;  // process start to online
inline constexpr auto kEventLimit = 15s;   // any event that "will come"

// Allow-list entries several suites run: `id` (no arguments) and `sleep N`
// (1..600 s), both as nobody in the strict sandbox.
inline constexpr const char* kIdEntry =
    "{name: id, path: /usr/bin/id, run_as: nobody, sandbox: strict}";
inline constexpr const char* kSleepEntry =
    "{name: sleep, path: /usr/bin/sleep, arg_rules: [{int_range: [1, 600]}], run_as: nobody, "
    "sandbox: strict}";

struct Rig {
    explicit Rig(HubOptions hub_options = {}, bool start_hub = true)
        : hub(dir, std::move(hub_options)), agent(dir) {
        hub.accept_agent_key(agent.node_id(), agent.public_key());
        if (start_hub) hub.start();
    }

    // Exchange mode against this hub's token endpoint.
    void use_token_exchange() {
        agent.set("auth", "mode", "exchange");
        agent.set("auth", "token_url", hub.token_url());
    }

    // Waits from event `from` until a session is up end to end: `connected`,
    // the hub's `welcome` sent, and the agent logging that it is online.
    // Returns the `connected` event.
    const Event& wait_online(std::size_t from, std::size_t log_from,
                             std::chrono::milliseconds limit = kEventLimit) {
        const Event& connected = hub.expect_event(connected_event(), limit, from, "connected");
        const std::string session = connected.str("/session").value_or("?");
        hub.expect_event(
            [&](const Event& e) { return e.is_sent("welcome") && e.str("/session") == session; },
            limit, connected.index(), "welcome sent on " + session);
        INFO("agent online in " << session);
        REQUIRE(agent.wait_log("online (session " + session + ",", limit, log_from));
        return connected;
    }

    // Starts the agent and waits until it is online.
    const Event& start_online() {
        const std::size_t from = hub.mark();
        const std::size_t log_from = agent.mark();
        agent.start(hub);
        return wait_online(from, log_from, kFirstOnline);
    }

    TempDir dir;
    Hub hub;
    Agent agent;
};

}  // namespace outpost::integration
