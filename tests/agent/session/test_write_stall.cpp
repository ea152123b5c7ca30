// The write-stall check (docs/session-policy.md): a send queue above the
// high-water mark for 3 x heartbeat drops the connection like a dead peer,
// even while the server keeps sending (its pings keep the read side alive).
#include <catch2/catch.hpp>

#include "agent/session/policy.hpp"
#include "fakes.hpp"

using namespace outpost::session;
using namespace outpost::session::testing;

namespace {

// A server that stopped reading but pings every second.
void ping_every_second_for(Harness& h, std::chrono::seconds span) {
    for (auto elapsed = 0s; elapsed < span; elapsed += 1s) {
        h.clock.advance(1s);
        h.policy.on_inbound_message();
    }
}

}  // namespace

TEST_CASE("write stall: above the mark for 3 x heartbeat drops, though the peer keeps pinging") {
    Harness h;
    h.go_online(10);
    h.policy.on_send_queue(true);
    ping_every_second_for(h, 29s);
    const TickResult before = h.policy.on_tick();
    CHECK(before.decision.action == Action::none);
    CHECK(h.policy.state() == State::online);
    h.policy.on_send_queue(true);  // still above: the stall keeps its start
    ping_every_second_for(h, 1s);
    const TickResult tick = h.policy.on_tick();
    CHECK(tick.decision.action == Action::drop_then_wait);
    CHECK(tick.decision.reason.starts_with("write stalled"));
    CHECK(h.policy.state() == State::backoff);
    CHECK(h.policy.snapshot().last_error->what == "write stalled");
}

TEST_CASE("write stall: dropping below the mark once resets the clock") {
    Harness h;
    h.go_online(10);
    h.policy.on_send_queue(true);
    ping_every_second_for(h, 20s);
    h.policy.on_send_queue(false);  // drained: the peer reads, slowly
    h.policy.on_send_queue(true);
    ping_every_second_for(h, 29s);
    CHECK(h.policy.on_tick().decision.action == Action::none);
    ping_every_second_for(h, 1s);
    CHECK(h.policy.on_tick().decision.action == Action::drop_then_wait);
}

TEST_CASE("write stall: a new connection starts with no stall") {
    Harness h;
    h.go_online(10);
    h.policy.on_send_queue(true);
    ping_every_second_for(h, 20s);
    (void)h.policy.on_connection_lost("reset");
    h.go_online(10);
    ping_every_second_for(h, 20s);
    CHECK(h.policy.on_tick().decision.action == Action::none);
    CHECK(h.policy.state() == State::online);
}

TEST_CASE("write stall: a queue below the mark never drops a live connection") {
    Harness h;
    h.go_online(10);
    h.policy.on_send_queue(false);
    for (int i = 0; i < 12; ++i) {
        ping_every_second_for(h, 10s);
        CHECK(h.policy.on_tick().decision.action == Action::none);
    }
    CHECK(h.policy.state() == State::online);
}
