// Bad answers to polls (issue 18, "Bad input"): a poll endpoint that answers
// HTML, a 200 that is not JSON, a body over the size limit, a 302 to another
// origin, or a reply that never finishes. The real hub cannot answer so, so
// the poll URL points at FakePollServer (a fake for these fault shapes only)
// while the WebSocket URL stays the real hub's, which refuses upgrades with
// 400 (three of those start polling at once). Each shape must give a clear
// log line, a backoff and a retry, no crash, and no loss: a result produced
// before is delivered to the real hub once upgrades work again.

#include <catch2/catch.hpp>

#include "fake_poll_server.hpp"
#include "polling_support.hpp"
#include "rig.hpp"
#include "seal_support.hpp"

using namespace outpost::integration;

namespace {

// What the agent's log line must name for each fault, so an operator sees
// the cause rather than a bare "poll failed".
std::string expected_cause(PollFault fault) {
    switch (fault) {
        case PollFault::html:
        case PollFault::not_json:
            return "JSON";
        case PollFault::oversized:
            return "a server must split its queue across polls";
        case PollFault::redirect:
            return "302";
        case PollFault::slow_loris:
            return "timeout";
    }
    return "?";
}

}  // namespace

TEST_CASE("bad poll answers: a clear log line, a backoff, no crash, nothing lost",
          "[integration][polling][faults]") {
    const PollFault fault = GENERATE(PollFault::html, PollFault::not_json, PollFault::oversized,
                                     PollFault::redirect, PollFault::slow_loris);
    INFO("fault " << to_string(fault));
    Rig rig;
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    Hub& hub = rig.hub;
    // The redirect points at the real hub's poll endpoint, another origin: a
    // followed redirect would show there as a poll.
    FakePollServer fake(fault, hub.pki_file("server.pem"), hub.pki_file("server.key"),
                        hub.poll_url());
    configure_polling(rig.agent, fake.url());
    const Event& online = rig.start_online();
    const std::string first = *online.str("/session");

    // A result the hub holds without acknowledging.
    hub.command("auto-ack off");
    hub.command(execute_line("kept-1", "append", {"kept-1", "0"}));
    hub.expect_event(in_session(result_for("kept-1"), first), kEventLimit, 0, "kept-1's result");

    // Upgrades now fail like behind a proxy that drops Upgrade: the agent
    // falls back to the fake poll endpoint.
    const std::size_t log_from = rig.agent.mark();
    const std::size_t from = hub.mark();
    hub.command("refuse-upgrades 400");
    hub.command("close 1001 going away");
    REQUIRE(rig.agent.wait_log("transport: polling " + fake.url(), 60s, log_from));

    // It polls, fails, backs off, and polls again (the slow reply only ends
    // at the agent's own deadline).
    const auto until = Clock::now() + 90s;
    while (fake.requests().size() < 2 && Clock::now() < until) hub.idle(200ms);
    INFO(rig.agent.log_text());
    REQUIRE(fake.requests().size() >= 2);
    for (const auto& request : fake.requests()) {
        CHECK(request.starts_with("POST /v1/poll "));
    }
    CHECK(rig.agent.running());
    CHECK(rig.agent.count_log(expected_cause(fault), log_from) >= 1);
    // Never followed, never treated as a poll of the real hub.
    CHECK(hub.events(poll_event(), from).empty());

    // Upgrades work again: back on the WebSocket, the held result arrives
    // (delivered once more, as §4 wants for an unacknowledged result).
    const std::size_t back_from = hub.mark();
    const std::size_t back_log = rig.agent.mark();
    hub.command("auto-ack on");
    hub.command("accept-upgrades");
    const std::string ws = wait_websocket_back(rig, back_from, back_log, 60s);
    const Event& again = hub.expect_event(in_session(result_for("kept-1"), ws), kEventLimit,
                                          back_from, "kept-1's result after the faults");
    hub.expect_event(in_session(sent_of_type("result_ack"), ws), kEventLimit, again.index(),
                     "result_ack");
    CHECK(append.count("kept-1") == 1);
    CHECK(rig.agent.running());
    CHECK(rig.agent.count_log("AddressSanitizer") == 0);
}
