// PollConnection against a real loopback HTTPS server (test_server.hpp's
// "/poll", answers scripted per test): the polling period's life, the
// headers and bodies of §7, and every way an answer ends a period.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/poll_connection.hpp"
#include "test_certs.hpp"
#include "test_server.hpp"

using namespace outpost::transport;
using namespace outpost::transport::test;
using namespace std::chrono_literals;

namespace {

const std::string kHello =
    R"({"type":"hello","id":"h-1","ts":"2026-11-22T10:00:00.123Z","data":{}})";
const std::string kWelcome =
    R"({"type":"welcome","id":"w-1","ts":"2026-11-22T10:00:00.123Z","data":{"protocol":"outpost.v1","session_id":"s-1"}})";
const std::string kResult =
    R"({"type":"command_result","id":"r-1","ts":"2026-11-22T10:00:00.123Z","data":{}})";

struct PollFixture {
    TestServer& server;
    std::unique_ptr<EventLoop> loop;
    std::unique_ptr<PollConnection> connection;
    int opened = 0;
    std::vector<std::string> received;
    std::vector<std::uint64_t> delivered;
    std::optional<std::pair<int, std::optional<int>>> refused;
    std::optional<std::pair<std::optional<int>, std::string>> closed;
    bool send_on_open = true;

    PollFixture() : server(shared_tls_server()) {
        server.reset();
        auto created = EventLoop::create();
        REQUIRE(created);
        loop = std::move(*created);
        ConnectionEvents events;
        events.on_open = [this](std::string_view protocol) {
            CHECK(protocol == "outpost.v1");
            ++opened;
            if (send_on_open) REQUIRE(connection->send(kHello));
        };
        events.on_message = [this](std::string_view text) { received.emplace_back(text); };
        events.on_delivered = [this](std::uint64_t through) { delivered.push_back(through); };
        events.on_refused = [this](int status, std::optional<int> retry_after) {
            refused.emplace(status, retry_after);
        };
        events.on_closed = [this](std::optional<int> code, std::string reason) {
            closed.emplace(code, std::move(reason));
        };
        events.on_failure = [this](std::string cause) { closed.emplace(std::nullopt, cause); };
        connection = std::make_unique<PollConnection>(*loop, std::move(events));
    }
    ConnectSettings settings(size_t max_bytes = 64 * 1024) const {
        ConnectSettings s;
        s.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/poll";
        s.tls.ca_file = test_pki().ca_cert;
        s.node_id = "node-7";
        s.user_agent = "outpost/test";
        s.max_message_bytes = max_bytes;
        s.poll_interval = 200ms;
        s.connect_timeout = 2s;
        return s;
    }
    bool ended() const { return refused.has_value() || closed.has_value(); }
    void run_until_ended() {
        CHECK(loop->run_until([&] { return ended(); }, 10s));
    }
};

}  // namespace

TEST_CASE("a polling period: hello alone first, then queued messages, answers handed on",
          "[poll]") {
    PollFixture f;
    f.server.script_polls({PollReply{200, R"({"messages":[)" + kWelcome + "]}"}});
    REQUIRE(f.connection->connect(f.settings(), "tok-1"));
    CHECK(f.connection->state() == ConnectionState::kConnecting);
    REQUIRE(f.loop->run_until([&] { return !f.received.empty(); }, 10s));
    CHECK(f.received == std::vector<std::string>{kWelcome});
    CHECK(f.delivered == std::vector<std::uint64_t>{1});  // hello is confirmed
    auto seen = f.server.seen();
    REQUIRE(seen.poll_bodies.size() == 1);
    CHECK(seen.poll_bodies[0] == R"({"protocol":"outpost.v1","messages":[)" + kHello + "]}");
    CHECK(seen.poll_authorization == "Bearer tok-1");
    CHECK(seen.poll_agent_id == "node-7");
    CHECK(seen.poll_user_agent == "outpost/test");
    CHECK(seen.post_content_type == "application/json");

    // The welcome carried a message: the next poll goes at once, with what
    // was queued meanwhile.
    REQUIRE(f.connection->send(kResult));
    REQUIRE(f.loop->run_until([&] { return f.delivered.size() == 2; }, 10s));
    CHECK(f.delivered.back() == 2);
    seen = f.server.seen();
    REQUIRE(seen.poll_bodies.size() >= 2);
    CHECK(seen.poll_bodies[1] == R"({"protocol":"outpost.v1","messages":[)" + kResult + "]}");
    CHECK(f.connection->fully_written());
    CHECK_FALSE(f.ended());

    // An empty answer: the next poll after poll_interval, an empty body.
    REQUIRE(f.loop->run_until([&] { return f.server.seen().poll_bodies.size() >= 3; }, 10s));
    CHECK(f.server.seen().poll_bodies[2] == R"({"protocol":"outpost.v1","messages":[]})");
    CHECK(f.opened == 1);
}

TEST_CASE("a poll answered with anything but 200 ends the period and confirms nothing", "[poll]") {
    struct Shape {
        PollReply reply;
        std::string expected;  // in the cause
    };
    const std::vector<Shape> shapes{
        {PollReply{500, "oops"}, "HTTP 500"},
        {PollReply{409, R"({"messages":[]})"}, "HTTP 409"},
        {PollReply{302, "", "text/html", std::nullopt, "https://elsewhere.example/"},
         "redirect (HTTP 302), which is not followed"},
        {PollReply{200, "<html><body>Please log in</body></html>", "text/html"},
         "Content-Type 'text/html'"},
        {PollReply{200, "not json at all"}, "is not JSON"},
        {PollReply{200, R"({"msgs":[]})"}, R"(is not {"messages":[...]})"},
    };
    for (const Shape& shape : shapes) {
        PollFixture f;
        f.server.script_polls({shape.reply});
        REQUIRE(f.connection->connect(f.settings(), "tok-1"));
        f.run_until_ended();
        INFO(shape.expected);
        REQUIRE(f.closed.has_value());
        CHECK_FALSE(f.closed->first.has_value());
        CHECK_THAT(f.closed->second, Catch::Contains(shape.expected));
        CHECK(f.delivered.empty());
        CHECK(f.received.empty());
        CHECK(f.connection->state() == ConnectionState::kIdle);
    }
}

TEST_CASE("401, 403, 426, 429 and 503 to a poll are refusals like the upgrade's, with Retry-After",
          "[poll]") {
    for (int status : {401, 403, 426, 429, 503}) {
        PollFixture f;
        std::optional<int> retry =
            status == 429 || status == 503 ? std::optional<int>(7) : std::nullopt;
        f.server.script_polls({PollReply{status, "", "text/plain", retry}});
        REQUIRE(f.connection->connect(f.settings(), "tok-1"));
        f.run_until_ended();
        INFO(status);
        REQUIRE(f.refused.has_value());
        CHECK(f.refused->first == status);
        CHECK(f.refused->second == retry);
        CHECK(f.delivered.empty());
    }
}

TEST_CASE("a poll answer over the size limit ends the period", "[poll]") {
    PollFixture f;
    f.server.script_polls(
        {PollReply{200, R"({"messages":[{"pad":")" + std::string(4000, 'x') + R"("}]})"}});
    REQUIRE(f.connection->connect(f.settings(1024), "tok-1"));
    f.run_until_ended();
    REQUIRE(f.closed.has_value());
    // Named for a server's author (review 3, item 5).
    CHECK_THAT(f.closed->second,
               Catch::Contains("the server's answer exceeds protocol.max_message_bytes (1024 "
                               "bytes); a server must split its queue across polls"));
    CHECK(f.delivered.empty());
}

TEST_CASE("a poll whose answer never comes ends the period after its timeout", "[poll]") {
    PollFixture f;
    f.server.script_polls({PollReply{0}});  // never answers
    auto settings = f.settings();
    settings.connect_timeout = 1s;
    REQUIRE(f.connection->connect(settings, "tok-1"));
    f.run_until_ended();
    REQUIRE(f.closed.has_value());
    CHECK_THAT(f.closed->second, Catch::Contains("timeout"));
    CHECK(f.delivered.empty());
}

TEST_CASE("a body carries at most max_message_bytes, oldest first, the rest goes at once after",
          "[poll]") {
    PollFixture f;
    f.send_on_open = false;
    REQUIRE(f.connection->connect(f.settings(1024), "tok-1"));
    REQUIRE(f.loop->run_until([&] { return f.opened == 1; }, 10s));
    const std::string big = R"({"type":"x","pad":")" + std::string(600, 'a') + R"("})";
    CHECK_FALSE(f.connection->send(std::string(1024, 'a')));  // never fits a body
    REQUIRE(f.connection->send(big));
    REQUIRE(f.connection->send(big));
    REQUIRE(f.loop->run_until([&] { return f.delivered.size() == 2; }, 10s));
    CHECK(f.delivered == std::vector<std::uint64_t>{1, 2});
    const auto bodies = f.server.seen().poll_bodies;
    REQUIRE(bodies.size() >= 2);
    for (std::size_t i = 0; i < 2; ++i) CHECK(bodies[i].size() <= 1024);
}

TEST_CASE("close() lets the poll in flight finish and hands its answer on", "[poll]") {
    PollFixture f;
    f.server.script_polls({PollReply{200, R"({"messages":[)" + kWelcome + "]}"}});
    REQUIRE(f.connection->connect(f.settings(), "tok-1"));
    REQUIRE(f.loop->run_until([&] { return f.server.seen().poll_bodies.size() == 1; }, 10s));
    f.connection->close(1000, "websocket back");
    CHECK_FALSE(f.connection->send(kResult));  // nothing new once closing
    f.run_until_ended();
    CHECK(f.received == std::vector<std::string>{kWelcome});
    CHECK(f.delivered == std::vector<std::uint64_t>{1});
    REQUIRE(f.closed.has_value());
    CHECK(f.closed->first == 1000);
    CHECK(f.connection->state() == ConnectionState::kIdle);
}

TEST_CASE(
    "a welcome in the answer after the hello poll's empty one comes within 1 s, not "
    "poll_interval",
    "[poll]") {
    PollFixture f;
    // A server that builds the session asynchronously (review 3, item 17).
    f.server.script_polls({PollReply{200, R"({"messages":[]})"},
                           PollReply{200, R"({"messages":[)" + kWelcome + "]}"}});
    ConnectSettings s = f.settings();
    s.poll_interval = 8s;  // longer than the wait below, shorter than any test limit
    REQUIRE(f.connection->connect(s, "tok-1"));
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(f.loop->run_until([&] { return !f.received.empty(); }, 4s));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(f.received == std::vector<std::string>{kWelcome});
    CHECK_FALSE(f.ended());
    // Once the server has spoken, an empty answer waits poll_interval again.
    const std::size_t polls = f.server.seen().poll_bodies.size();
    f.loop->run_until([] { return false; }, 2500ms);
    CHECK(f.server.seen().poll_bodies.size() <= polls + 1);  // the one the welcome asked for
}

TEST_CASE("queued log_lines alone make at most one poll a second", "[poll]") {
    PollFixture f;
    f.server.script_polls({PollReply{200, R"({"messages":[)" + kWelcome + "]}"}});
    ConnectSettings s = f.settings();
    s.poll_interval = 10s;  // only the sends make polls here
    REQUIRE(f.connection->connect(s, "tok-1"));
    REQUIRE(f.loop->run_until([&] { return !f.received.empty(); }, 10s));
    // The answer carried the welcome: the one poll that follows at once.
    REQUIRE(f.loop->run_until([&] { return f.server.seen().poll_bodies.size() >= 2; }, 10s));
    const std::size_t before = f.server.seen().poll_bodies.size();
    const std::string line =
        R"({"type":"log_line","id":"l-1","ts":"2026-11-22T10:00:00.123Z","data":{}})";
    // A followed source writing every 100 ms for 3 s (review 3, item 28).
    for (int i = 0; i < 30; ++i) {
        REQUIRE(f.connection->send(line));
        f.loop->run_until([] { return false; }, 100ms);
    }
    REQUIRE(f.loop->run_until([&] { return f.connection->fully_written(); }, 5s));
    const std::size_t polls = f.server.seen().poll_bodies.size() - before;
    CHECK(polls >= 3);
    CHECK(polls <= 5);                // not one every 50 ms plus the exchange (about 20)
    CHECK(f.delivered.back() == 31);  // hello, then every line, each once
    CHECK_FALSE(f.ended());
}
