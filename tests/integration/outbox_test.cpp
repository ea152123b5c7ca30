// The durable outbox end to end (protocol.md §3.4): health and status made
// while the agent is disconnected are kept in the journal, counted in the
// next hello's backlog, and flushed after welcome, oldest first, behind the
// stored results, at outbox.flush_rate; a row that is not a valid message
// is dropped with a warning, not sent.

#include <csignal>

#include "agent/journal/journal.hpp"
#include "rig.hpp"

namespace outpost::integration {
namespace {

EventPredicate status_is(std::string status) {
    return [status = std::move(status)](const Event& e) {
        return e.is_message("status") && e.str("/msg/data/status") == status;
    };
}

EventPredicate periodic_health() {
    return [](const Event& e) { return e.is_message("health") && e.is_null("/msg/data/ref"); };
}

// Stops the agent with SIGTERM and requires a clean exit.
void stop_gracefully(Agent& agent) {
    agent.signal(SIGTERM);
    auto status = agent.wait_exit(kEventLimit);
    REQUIRE(status);
    CHECK(describe_status(*status) == "exited with 0");
}

// Adds a row to the stopped agent's outbox through the journal's own API.
void enqueue_directly(Agent& agent, journal::OutboxKind kind, const std::string& payload) {
    auto journal = journal::Journal::open(agent.state_dir() + "/journal.db", journal::SyncMode::full);
    REQUIRE(journal);
    REQUIRE(journal->enqueue(kind, payload, std::chrono::system_clock::now()));
}

}  // namespace

TEST_CASE("outbox: health and a graceful stop while offline arrive after the next welcome",
          "[integration][outbox]") {
    Rig rig;
    rig.agent.set("health", "interval", "10s");  // the schema's minimum
    rig.start_online();

    // The control plane goes away; the next periodic health is kept.
    rig.hub.stop();
    const std::size_t log_from = rig.agent.mark();
    REQUIRE(rig.agent.wait_log("health kept in the outbox", 25s, log_from));
    // So is the status{offline} of a graceful stop while disconnected.
    stop_gracefully(rig.agent);
    CHECK(rig.agent.count_log("status kept in the outbox", log_from) == 1);
    // And a row that is not a message (a damaged journal) sits between them
    // and the next session's status{online}.
    enqueue_directly(rig.agent, journal::OutboxKind::health, "{\"type\":\"health\",");

    rig.hub.start();
    const std::size_t from = rig.hub.mark();
    const std::size_t restart_log = rig.agent.mark();
    rig.agent.start(rig.hub);
    const Event& connected = rig.wait_online(from, restart_log, kFirstOnline);
    const Event& hello =
        rig.hub.expect_event(message_of_type("hello"), kEventLimit, from, "hello");
    CHECK(hello.num("/msg/data/backlog/outbox") == 3);

    const Event& online = rig.hub.expect_event(status_is("online"), kEventLimit,
                                               connected.index(), "status online");
    const Event& welcome = rig.hub.expect_event(
        [](const Event& e) { return e.is_sent("welcome"); }, kEventLimit, from, "welcome");
    const Event& health =
        rig.hub.expect_event(periodic_health(), 0ms, from, "the kept periodic health");
    const Event& offline =
        rig.hub.expect_event(status_is("offline"), 0ms, from, "the kept status offline");
    // After welcome, in the order they were made; the damaged row was not sent.
    CHECK(welcome.index() < health.index());
    CHECK(health.index() < offline.index());
    CHECK(offline.index() < online.index());
    CHECK(offline.str("/msg/data/reason").value_or("").find("stopping") != std::string::npos);
    CHECK(health.str("/msg/data/checks/database") == "ok");
    // Their ts is when they were made, before this session's welcome.
    CHECK(health.str("/msg/ts") < offline.str("/msg/ts"));
    CHECK(offline.str("/msg/ts") < online.str("/msg/ts"));
    CHECK(rig.hub.events(message_of_type("health"), from).size() == 1);
    CHECK(rig.agent.wait_log("dropping outbox message", kEventLimit, restart_log));
    REQUIRE(rig.agent.wait_log("outbox flushed: 3 message(s) sent", kEventLimit, restart_log));

    // Sent means gone: the next session has nothing to flush.
    const std::size_t again = rig.hub.mark();
    const std::size_t again_log = rig.agent.mark();
    rig.hub.restart();
    rig.wait_online(again, again_log);
    const Event& next_hello =
        rig.hub.expect_event(message_of_type("hello"), kEventLimit, again, "second hello");
    CHECK(next_hello.num("/msg/data/backlog/outbox") == 0);
    rig.hub.expect_event(status_is("online"), kEventLimit, again, "status online again");
    CHECK(rig.hub.events(status_is("offline"), again).empty());
}

TEST_CASE("outbox: flushed oldest first at outbox.flush_rate, new messages behind the backlog",
          "[integration][outbox]") {
    Rig rig({}, /*start_hub=*/false);
    rig.hub.start();
    rig.hub.stop();  // the port is known; nothing listens on it
    rig.agent.set("outbox", "flush_rate", "4");
    // Five graceful stops while the control plane is down: five kept
    // status{offline}, each with its own reason-bearing message id.
    constexpr int kStops = 5;
    for (int i = 0; i < kStops; ++i) {
        const std::size_t log_from = rig.agent.mark();
        rig.agent.start(rig.hub);
        REQUIRE(rig.agent.wait_log("state connecting -> backoff", kEventLimit, log_from));
        stop_gracefully(rig.agent);
    }

    rig.hub.start();
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);
    rig.wait_online(from, log_from, kFirstOnline);
    const Event& hello =
        rig.hub.expect_event(message_of_type("hello"), kEventLimit, from, "hello");
    CHECK(hello.num("/msg/data/backlog/outbox") == kStops);
    // The new session's status{online} joins the tail of the backlog.
    const Event& online =
        rig.hub.expect_event(status_is("online"), kEventLimit, from, "status online");
    const auto statuses = rig.hub.events(message_of_type("status"), from);
    REQUIRE(statuses.size() == kStops + 1);
    CHECK(statuses.back()->index() == online.index());
    for (int i = 0; i < kStops; ++i) {
        CHECK(statuses[i]->str("/msg/data/status") == "offline");
        if (i > 0) CHECK(statuses[i - 1]->str("/msg/ts") <= statuses[i]->str("/msg/ts"));
    }
    // At most 4 per second: the hub reads each at least ~250 ms after the
    // one before (a lower bound; a slow machine only makes the gaps longer).
    for (std::size_t i = 1; i < statuses.size(); ++i) {
        const auto gap = *statuses[i]->num("/received_ms") - *statuses[i - 1]->num("/received_ms");
        INFO("gap before status " << i << ": " << gap << " ms");
        CHECK(gap >= 200);
    }
}

}  // namespace outpost::integration
