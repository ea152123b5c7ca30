// Reconnect policy against a live hub: terminal states (4003, 4004),
// Retry-After, 1001 going away, a silent peer (protocol.md §1, §5, §6).
#include <catch2/catch.hpp>
#include <regex>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

// The delays the agent announced ("next attempt in N ms") since `from`.
std::vector<long> announced_delays(Agent& agent, std::size_t from) {
    static const std::regex pattern("next attempt in ([0-9]+) ms");
    std::vector<long> out;
    const auto& lines = agent.lines();
    for (std::size_t i = from; i < lines.size(); ++i) {
        std::smatch m;
        if (std::regex_search(lines[i], m, pattern)) out.push_back(std::stol(m[1].str()));
    }
    return out;
}

// config.reconnect.revoked_interval/incompatible_interval accept 1m at the
// least, so the retry itself is a minute away: the default run checks the
// silence and the scheduled delay; the [.slow] variants wait for the retry.
void terminal_close(int code, const std::string& key, const std::string& state,
                    bool wait_for_retry) {
    Rig rig;
    rig.agent.set("reconnect", key, "1m");
    const Event& first = rig.start_online();

    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    const Event& asked =
        rig.hub.event(rig.hub.command("close " + std::to_string(code) + " scripted " + state));
    const Event& closed = rig.hub.expect_event(closed_event(), kEventLimit, from, "closed");
    CHECK(closed.str("/session") == first.str("/session"));
    CHECK(closed.num("/code") == code);
    REQUIRE(rig.agent.wait_log("-> " + state, kEventLimit, log_from));
    CHECK(announced_delays(rig.agent, log_from) == std::vector<long>{60000});

    // No new upgrade attempt while the interval runs (3 s watched here, a
    // reconnect would come within reconnect.max = 2 s).
    rig.hub.idle(3s);
    CHECK(rig.hub.events(event_named("upgrade"), from).empty());
    CHECK(rig.agent.running());
    if (!wait_for_retry) return;

    const Event& retry = rig.hub.expect_event(event_named("upgrade"), 75s, from, "the retry");
    const double after = seconds(retry.at() - asked.at());
    INFO("retried " << after << " s after the close");
    CHECK(after >= 59.0);
    CHECK(retry.num("/status") == 101);
}

}  // namespace

TEST_CASE("4003: revoked, no new attempt before reconnect.revoked_interval",
          "[integration][reconnect]") {
    terminal_close(4003, "revoked_interval", "revoked", false);
}

TEST_CASE("4004: incompatible, no new attempt before reconnect.incompatible_interval",
          "[integration][reconnect]") {
    terminal_close(4004, "incompatible_interval", "incompatible", false);
}

TEST_CASE("4003: the retry comes after revoked_interval (1 minute)", "[.][slow][integration]") {
    terminal_close(4003, "revoked_interval", "revoked", true);
}

TEST_CASE("4004: the retry comes after incompatible_interval (1 minute)",
          "[.][slow][integration]") {
    terminal_close(4004, "incompatible_interval", "incompatible", true);
}

TEST_CASE("503 with Retry-After: the next upgrade waits for it", "[integration][reconnect]") {
    Rig rig;
    rig.hub.command("refuse 503 2 1");
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);

    const Event& refused =
        rig.hub.expect_event(upgrade_with_status(503), kFirstOnline, from, "the scripted 503");
    const Event& connected = rig.wait_online(refused.index(), log_from);
    const Event& accepted =
        rig.hub.expect_event(upgrade_with_status(101), 0ms, refused.index(), "upgrade 101");
    CHECK(connected.str("/session") == "s-1");
    CHECK(rig.hub.events(event_named("upgrade"), from).size() == 2);

    // The hub reports the refusal before the agent can read it, so this gap
    // is at least the delay the agent chose: §5, Retry-After R plus a draw
    // in [0, min(R, max)], here [2 s, 4 s] (reconnect.max is 2 s).
    const double gap = seconds(accepted.at() - refused.at());
    INFO("next upgrade " << gap << " s after the 503");
    CHECK(gap >= 1.9);
    CHECK(gap < 4.0 + 5.0);
    CHECK(rig.agent.count_log("Retry-After 2 s", log_from) == 1);
    const auto delays = announced_delays(rig.agent, log_from);
    REQUIRE(delays.size() == 1);
    CHECK(delays.front() >= 2000);
    CHECK(delays.front() <= 4000);
}

TEST_CASE("1001: back within reconnect.initial, every time", "[integration][reconnect]") {
    Rig rig;
    // A growing backoff would reach 8 s by the fifth close; 1001 must not.
    rig.agent.set("reconnect", "initial", "500ms");
    rig.agent.set("reconnect", "max", "30s");
    const Event& first = rig.start_online();
    std::string session = *first.str("/session");

    for (int i = 0; i < 5; ++i) {
        INFO("close " << i + 1 << " of 5 (session " << session << ")");
        const std::size_t from = rig.hub.mark();
        const std::size_t log_from = rig.agent.mark();
        const Event& asked = rig.hub.event(rig.hub.command("close 1001 going away"));
        const Event& connected = rig.wait_online(from, log_from);
        CHECK(connected.str("/session") != session);
        session = *connected.str("/session");
        // Every new session hears the node's status (the drop was a change).
        const Event& status = rig.hub.expect_event(message_of_type("status"), kEventLimit,
                                                   connected.index(), "status on the new session");
        CHECK(status.str("/msg/data/status") == "online");
        const auto delays = announced_delays(rig.agent, log_from);
        REQUIRE(delays.size() == 1);
        CHECK(delays.front() <= 500);
        // initial + a TLS handshake and hello/welcome on a slow machine.
        CHECK(seconds(connected.at() - asked.at()) < 0.5 + 2.0);
    }

    // A real hub restart (its sessions end with 1001, then the port is
    // briefly closed): the agent comes back to the new hub on its own.
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.hub.restart();
    const Event& going = rig.hub.expect_event(closed_event(), 0ms, from, "closed by the stop");
    CHECK(going.num("/code") == 1001);
    rig.wait_online(from, log_from, kFirstOnline);
}

TEST_CASE("silent peer: detected within 3 heartbeats, then a reconnect",
          "[integration][reconnect][heartbeat]") {
    Rig rig(HubOptions().heartbeat(1));
    const Event& first = rig.start_online();
    const std::string session = *first.str("/session");
    // Pings every second are answered.
    const Event& pong =
        rig.hub.expect_event(sent_of_type("pong"), 5s, first.index(), "a pong to a ping");
    CHECK(pong.str("/session") == session);

    // The reconnect attempt is refused with Retry-After 1 s, so the hub is
    // no longer silent when the agent really comes back.
    rig.hub.command("refuse 503 1 1");
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    const Event& silenced = rig.hub.event(rig.hub.command("silent on"));
    const Event& closed = rig.hub.expect_event(closed_event(), 10s, from, "the agent's drop");
    const double detected = seconds(closed.at() - silenced.at());
    INFO("dropped " << detected << " s after the hub went silent");
    CHECK(closed.str("/session") == session);
    CHECK(closed.str("/by") != "hub");
    // Dead after 3 x heartbeat_s without input; the last pong came at most a
    // heartbeat before the silence began.
    CHECK(detected >= 1.5);
    CHECK(detected <= 3.0 + 2.0);
    CHECK(rig.agent.wait_log("peer dead", 0ms, log_from));

    rig.hub.expect_event(upgrade_with_status(503), kEventLimit, from, "the refused reconnect");
    rig.hub.command("silent off");
    const Event& again = rig.wait_online(from, log_from);
    CHECK(again.str("/session") != session);
    CHECK(seconds(again.at() - closed.at()) < 10.0);
}

TEST_CASE("a 101 naming a subprotocol the agent did not offer: incompatible, no backoff retry",
          "[integration][reconnect]") {
    // protocol.md §1: a server that selects none of the offered versions is
    // a version mismatch. lws refuses such a 101 itself; found by an
    // independent control plane, which saw ordinary backoff instead.
    HubOptions options;
    options.extra = {"--select-subprotocol", "outpost.v9"};
    Rig rig(options);
    rig.agent.set("reconnect", "incompatible_interval", "1m");
    const std::size_t log_from = rig.agent.mark();
    const std::size_t from = rig.hub.mark();
    rig.agent.start(rig.hub);
    REQUIRE(rig.agent.wait_log("-> incompatible", kEventLimit, log_from));
    CHECK(rig.agent.wait_log("server selected subprotocol 'outpost.v9'", kEventLimit, log_from));
    CHECK(announced_delays(rig.agent, log_from) == std::vector<long>{60000});
    rig.hub.idle(3s);  // reconnect.max is 2 s: a backoff retry would come
    CHECK(rig.hub.events(event_named("upgrade"), from).size() == 1);
}
