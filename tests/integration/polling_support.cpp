#include "polling_support.hpp"

namespace outpost::integration {

void configure_polling(Agent& agent, const std::string& poll_url) {
    agent.set("server", "poll_url", poll_url);
    agent.set("server", "poll_interval", "1s");
    agent.set("server", "poll_after", "5m");  // the default: failed upgrades start polling sooner
}

namespace {

std::string wait_session(Rig& rig, const std::string& transport, std::size_t from,
                         std::chrono::milliseconds limit) {
    const Event& connected =
        rig.hub.expect_event(connected_over(transport), limit, from, "connected over " + transport);
    const std::string session = connected.str("/session").value_or("?");
    rig.hub.expect_event(
        [&](const Event& e) { return e.is_sent("welcome") && e.str("/session") == session; }, limit,
        connected.index(), "welcome sent on " + session);
    return session;
}

}  // namespace

std::string wait_polling(Rig& rig, std::size_t from, std::size_t log_from,
                         std::chrono::milliseconds limit) {
    const std::string session = wait_session(rig, "poll", from, limit);
    INFO("polling period " << session);
    REQUIRE(rig.agent.wait_log("online over polling (session " + session, limit, log_from));
    return session;
}

std::string wait_websocket_back(Rig& rig, std::size_t from, std::size_t log_from,
                                std::chrono::milliseconds limit) {
    const std::string session = wait_session(rig, "websocket", from, limit);
    INFO("websocket session " << session);
    REQUIRE(rig.agent.wait_log("transport: websocket again", limit, log_from));
    return session;
}

}  // namespace outpost::integration
