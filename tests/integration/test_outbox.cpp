// The durable outbox end to end (protocol.md §3.4, §4): health made while
// the agent is disconnected is kept in the journal, counted in the next
// hello's backlog and sent after welcome, behind the stored results, oldest
// first, at outbox.flush_rate; a message leaves the outbox only once the
// server's pong{ref} to a later ping proves it was read; a row that is not
// a valid message is dropped with a warning, never sent.

#include <csignal>

#include "agent/journal/journal.hpp"
#include "agent/protocol/rfc3339.hpp"
#include "rig.hpp"

namespace outpost::integration {
namespace {

EventPredicate periodic_health() {
    return [](const Event& e) { return e.is_message("health") && e.is_null("/msg/data/ref"); };
}

void stop_gracefully(Agent& agent) {
    agent.signal(SIGTERM);
    auto status = agent.wait_exit(kEventLimit);
    REQUIRE(status);
    CHECK(describe_status(*status) == "exited with 0");
}

// A health message as the agent would have stored it, with a recognisable id.
std::string stored_health(const std::string& id) {
    return R"({"type":"health","id":")" + id +
           R"(","ts":"2026-11-22T10:00:00.000Z","data":{"ref":null,"checks":{"agent":"ok",)"
           R"("disk":"ok","memory":"ok","database":"ok","containers":"skipped"},"details":{}}})";
}

// Adds rows to the stopped agent's outbox through the journal's own API.
void enqueue_directly(Agent& agent, const std::vector<std::string>& payloads) {
    auto journal =
        journal::Journal::open(agent.state_dir() + "/journal.db", journal::SyncMode::full);
    REQUIRE(journal);
    for (const std::string& payload : payloads) {
        REQUIRE(journal->enqueue(journal::OutboxKind::health, payload,
                                 std::chrono::system_clock::now()));
    }
}

std::vector<std::string> health_ids(Hub& hub, std::size_t from) {
    std::vector<std::string> ids;
    for (const Event* e : hub.events(message_of_type("health"), from)) {
        ids.push_back(e->str("/msg/id").value_or("?"));
    }
    return ids;
}

}  // namespace

TEST_CASE("outbox: a health due while offline is kept and sent after the next welcome",
          "[integration][outbox]") {
    // Heartbeat 60 s: without pongs (below) the agent gives up on the
    // connection only after 3 minutes.
    Rig rig(HubOptions{}.heartbeat(60));
    rig.agent.set("health", "interval", "10s");  // the schema's minimum
    rig.start_online();

    rig.hub.stop();  // the control plane goes away
    const std::size_t log_from = rig.agent.mark();
    REQUIRE(rig.agent.wait_log("health kept in the outbox until the next session", 25s, log_from));

    const std::size_t from = rig.hub.mark();
    rig.hub.start();
    rig.wait_online(from, log_from);
    const Event& hello = rig.hub.expect_event(message_of_type("hello"), kEventLimit, from, "hello");
    CHECK(hello.num("/msg/data/backlog/outbox") >= 1);
    // Made before this connection (its ts).
    const Event& kept = rig.hub.expect_event(
        [&](const Event& e) {
            return periodic_health()(e) && e.str("/msg/ts") < hello.str("/msg/ts");
        },
        kEventLimit, from, "the kept health");
    CHECK(kept.str("/msg/data/checks/database") == "ok");

    // A server that answers no ping confirms nothing, but new reports still
    // go out when made, not once the unanswered ping's 30 s are up.
    rig.hub.command("auto-pong off");
    const std::size_t silent_from = rig.hub.mark();
    const auto fresh = [session = kept.str("/session"),
                        after = kept.str("/msg/ts")](const Event& e) {
        return periodic_health()(e) && e.str("/session") == session && e.str("/msg/ts") > after;
    };
    const Event& first = rig.hub.expect_event(fresh, 25s, silent_from, "a report");
    const Event& second = rig.hub.expect_event(fresh, 25s, first.index() + 1, "the next report");
    auto made = [](const Event& e) {
        auto at = protocol::parse_rfc3339(e.str("/msg/ts").value_or(""));
        REQUIRE(at);
        return std::chrono::duration_cast<std::chrono::milliseconds>(at->time_since_epoch())
            .count();
    };
    const std::int64_t made_apart = made(second) - made(first);
    const std::int64_t read_apart = *second.num("/received_ms") - *first.num("/received_ms");
    INFO("made " << made_apart << " ms apart, read " << read_apart << " ms apart");
    CHECK(read_apart - made_apart < 15'000);
}

TEST_CASE("outbox: results first, then oldest first at flush_rate, kept until a pong confirms",
          "[integration][outbox]") {
    // Heartbeat pings a minute apart: any ping sooner is the outbox's own.
    Rig rig(HubOptions{}.heartbeat(60));
    rig.agent.set("outbox", "flush_rate", "4");
    rig.agent.set("health", "interval", "1h");  // no periodic report during the test

    // A stored result without result_ack: a command refused by policy.
    rig.hub.command("auto-ack off");
    rig.start_online();
    const std::size_t cmd_from = rig.hub.mark();
    rig.hub.command(R"(send-type execute {"request_id":"unacked-1","command":"nope","args":[]})");
    rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("command_result") && e.str("/msg/data/request_id") == "unacked-1";
        },
        kEventLimit, cmd_from, "the rejected command's result");
    stop_gracefully(rig.agent);

    // Five reports and, between them, one damaged row.
    enqueue_directly(rig.agent, {stored_health("h-1"), stored_health("h-2"),
                                 R"({"type":"health","id":"broken",)", stored_health("h-3"),
                                 stored_health("h-4"), stored_health("h-5")});
    const std::vector<std::string> expected{"h-1", "h-2", "h-3", "h-4", "h-5"};

    // First session: the server reads everything but answers no ping.
    rig.hub.command("auto-pong off");
    std::size_t from = rig.hub.mark();
    std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);
    rig.wait_online(from, log_from, kFirstOnline);
    {
        const Event& hello =
            rig.hub.expect_event(message_of_type("hello"), kEventLimit, from, "hello");
        CHECK(hello.num("/msg/data/backlog/results") == 1);
        CHECK(hello.num("/msg/data/backlog/outbox") == 6);
        const Event& welcome =
            rig.hub.expect_event(sent_of_type("welcome"), kEventLimit, from, "welcome");
        const Event& result =
            rig.hub.expect_event(message_of_type("command_result"), kEventLimit, from, "result");
        const Event& last = rig.hub.expect_event(
            [](const Event& e) { return e.is_message("health") && e.str("/msg/id") == "h-5"; },
            kEventLimit, from, "h-5");
        (void)last;
        const auto healths = rig.hub.events(message_of_type("health"), from);
        CHECK(health_ids(rig.hub, from) == expected);
        REQUIRE(healths.size() == expected.size());
        CHECK(result.index() < healths.front()->index());
        // At most 4 per second: the k-th (from 0) cannot be read sooner than
        // k × 250 ms after the welcome was written (a lower bound that a
        // slow machine only makes easier to meet).
        const std::int64_t welcome_ms = *welcome.num("/sent_ms");
        for (std::size_t k = 0; k < healths.size(); ++k) {
            const std::int64_t after = *healths[k]->num("/received_ms") - welcome_ms;
            INFO("health " << k << " read " << after << " ms after the welcome");
            CHECK(after >= static_cast<std::int64_t>(k) * 250);
        }
        CHECK(rig.agent.wait_log("dropping outbox message", kEventLimit, log_from));
        // A ping follows them; its pong never comes.
        rig.hub.expect_event(
            [&](const Event& e) { return e.is_message("ping") && e.index() > last.index(); },
            kEventLimit, from, "the confirming ping");
        // Unanswered for 30 s: said in the log, and nothing is deleted.
        CHECK(rig.agent.wait_log("no pong{ref} for ping", 45s, log_from));
    }

    // Unconfirmed, so still kept: the next session sends them again.
    from = rig.hub.mark();
    log_from = rig.agent.mark();
    rig.hub.restart();  // answers pings again
    rig.wait_online(from, log_from);
    {
        const Event& hello =
            rig.hub.expect_event(message_of_type("hello"), kEventLimit, from, "second hello");
        CHECK(hello.num("/msg/data/backlog/outbox") == 5);
        REQUIRE(rig.agent.wait_log("outbox flushed: 5 message(s) sent and confirmed", kEventLimit,
                                   log_from));
        CHECK(health_ids(rig.hub, from) == expected);
    }

    // Confirmed means gone.
    from = rig.hub.mark();
    log_from = rig.agent.mark();
    rig.hub.restart();
    rig.wait_online(from, log_from);
    const Event& hello =
        rig.hub.expect_event(message_of_type("hello"), kEventLimit, from, "third hello");
    CHECK(hello.num("/msg/data/backlog/outbox") == 0);
    rig.hub.idle(500ms);
    CHECK(health_ids(rig.hub, from).empty());
}

}  // namespace outpost::integration
