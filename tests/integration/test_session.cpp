// A live session: invalid input is answered with `error` and the session
// stays up; SIGTERM ends it gracefully (protocol.md §3, §3.5, §6).
#include <catch2/catch.hpp>
#include <csignal>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

// A ping whose JSON nests `depth` levels, the envelope object being level 1.
std::string nested_ping(const std::string& id, int depth) {
    REQUIRE(depth >= 2);
    std::string data;
    for (int i = 2; i < depth; ++i) data += "{\"a\":";
    data += "{}";
    for (int i = 2; i < depth; ++i) data += "}";
    return R"({"type":"ping","id":")" + id + R"(","ts":"2026-01-01T00:00:00.000Z","data":)" + data +
           "}";
}

// The agent's `error` message answering whatever was sent since `from`.
const Event& expect_error_reply(Rig& rig, std::size_t from, const std::string& what) {
    return rig.hub.expect_event(message_of_type("error"), kEventLimit, from, "error for " + what);
}

}  // namespace

TEST_CASE("bad input: error replies with the right code, the session stays up",
          "[integration][session]") {
    Rig rig;
    const Event& first = rig.start_online();
    const std::string session = *first.str("/session");

    {
        const std::size_t from = rig.hub.mark();
        rig.hub.command("send not json");
        const Event& error = expect_error_reply(rig, from, "not json");
        CHECK(error.str("/msg/data/code") == "invalid_json");
        CHECK(error.is_null("/msg/data/ref"));
        CHECK(!error.str("/msg/data/message").value_or("").empty());
    }
    {
        const std::size_t from = rig.hub.mark();
        rig.hub.command("send " + nested_ping("deep-33", 33));
        const Event& error = expect_error_reply(rig, from, "33 levels of nesting");
        CHECK(error.str("/msg/data/code") == "schema");
        CHECK((error.is_null("/msg/data/ref") || error.str("/msg/data/ref") == "deep-33"));
    }
    {
        // 32 levels are allowed: an unknown field, ignored; the ping is answered.
        const std::size_t from = rig.hub.mark();
        rig.hub.command("send " + nested_ping("deep-32", 32));
        const Event& pong =
            rig.hub.expect_event(message_of_type("pong"), kEventLimit, from, "pong to deep-32");
        CHECK(pong.str("/msg/data/ref") == "deep-32");
    }
    {
        const std::size_t from = rig.hub.mark();
        rig.hub.command(R"(send-type execute {"request_id":"bad id!","command":"x","args":[]})");
        const Event& sent =
            rig.hub.expect_event(sent_of_type("execute"), kEventLimit, from, "execute sent");
        const Event& error = expect_error_reply(rig, from, "an invalid request_id");
        CHECK(error.str("/msg/data/code") == "schema");
        CHECK(error.str("/msg/data/ref") == sent.str("/id"));
        CHECK(error.str("/msg/data/path") == "/data/request_id");
    }
    {
        const std::size_t from = rig.hub.mark();
        rig.hub.command("send-type frobnicate {}");
        const Event& sent =
            rig.hub.expect_event(sent_of_type("frobnicate"), kEventLimit, from, "frobnicate sent");
        const Event& error = expect_error_reply(rig, from, "an unknown type");
        CHECK(error.str("/msg/data/code") == "unknown_type");
        CHECK(error.str("/msg/data/ref") == sent.str("/id"));
    }
    const std::size_t from = rig.hub.mark();
    rig.hub.command("send-type ping {}");
    const Event& ping = rig.hub.expect_event(sent_of_type("ping"), kEventLimit, from, "ping sent");
    const Event& pong = rig.hub.expect_event(message_of_type("pong"), kEventLimit, from, "pong");
    CHECK(pong.str("/session") == session);
    CHECK(pong.str("/msg/data/ref") == ping.str("/id"));

    // Every error went out on the first session, which never closed.
    for (const Event* e : rig.hub.events(message_of_type("error"), first.index())) {
        CHECK(e->str("/session") == session);
    }
    CHECK(rig.hub.events(closed_event(), first.index()).empty());
    CHECK(rig.hub.events(connected_event(), first.index() + 1).empty());
}

TEST_CASE("graceful stop: SIGTERM sends status offline, closes 1001, exits 0",
          "[integration][session]") {
    Rig rig;
    const Event& first = rig.start_online();
    const std::string session = *first.str("/session");

    const std::size_t from = rig.hub.mark();
    rig.agent.signal(SIGTERM);
    const Event& offline = rig.hub.expect_event(
        [](const Event& e) {
            return e.is_message("status") && e.str("/msg/data/status") == "offline";
        },
        kEventLimit, from, "status offline");
    CHECK(offline.str("/session") == session);
    CHECK(offline.str("/msg/data/node_id") == "node-1");
    const Event& closed = rig.hub.expect_event(closed_event(), kEventLimit, from, "close");
    CHECK(offline.index() < closed.index());
    CHECK(closed.num("/code") == 1001);
    CHECK(closed.str("/by") == "agent");

    auto status = rig.agent.wait_exit(kEventLimit);
    REQUIRE(status);
    CHECK(describe_status(*status) == "exited with 0");
    // Nothing after the close: no reconnect.
    rig.hub.idle(500ms);
    CHECK(rig.hub.events(event_named("upgrade"), from).empty());
}
