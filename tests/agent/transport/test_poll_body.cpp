// The polling fallback's bodies (protocol.md §7) as pure functions.
#include <catch2/catch.hpp>

#include <deque>
#include <string>

#include "agent/transport/poll_body.hpp"

using namespace outpost::transport;

TEST_CASE("a poll request body carries the oldest messages that fit, never skipping ahead",
          "[poll]") {
    const std::string a = R"({"type":"a"})", b = R"({"type":"bbbbbbbbbb"})", c = R"({"type":"c"})";
    const std::size_t envelope = poll_envelope_bytes("outpost.v1");
    CHECK(encode_poll_request("outpost.v1", {}, 1024).text ==
          R"({"protocol":"outpost.v1","messages":[]})");
    CHECK(encode_poll_request("outpost.v1", {}, 1024).text.size() == envelope);

    const std::deque<std::string> queue{a, b, c};
    auto all = encode_poll_request("outpost.v1", queue, 1024);
    CHECK(all.messages == 3);
    CHECK(all.text == R"({"protocol":"outpost.v1","messages":[)" + a + "," + b + "," + c + "]}");

    // Room for a and c but not b: only a goes (order is kept).
    auto first = encode_poll_request("outpost.v1", queue, envelope + a.size() + 1 + c.size());
    CHECK(first.messages == 1);
    CHECK(first.text.size() <= envelope + a.size() + 1 + c.size());
    CHECK(poll_message_limit(1024, "outpost.v1") == 1024 - envelope);
    CHECK(poll_message_limit(10, "outpost.v1") == 0);
}

TEST_CASE("a poll answer: 200 with messages, refusals, and everything that ends a period",
          "[poll]") {
    auto ok = read_poll_answer(200, R"({"messages":[{"type":"ping","id":"p"} , 3]})", "");
    CHECK(ok.outcome == PollOutcome::delivered);
    CHECK(ok.messages == std::vector<std::string>{R"({"type":"ping","id":"p"})", "3"});
    CHECK(read_poll_answer(200, R"({"messages":[],"extra":1})", "").outcome ==
          PollOutcome::delivered);

    for (int status : {401, 403, 426, 429, 503}) {
        CHECK(read_poll_answer(status, "", "").outcome == PollOutcome::refused);
    }
    for (int status : {201, 204, 301, 302, 307, 400, 404, 409, 500, 502}) {
        INFO(status);
        auto answer = read_poll_answer(status, R"({"messages":[]})", "");
        CHECK(answer.outcome == PollOutcome::ended);
        CHECK_FALSE(answer.why.empty());
    }
    CHECK_THAT(read_poll_answer(302, "", "").why, Catch::Contains("bearer token"));
    auto html = read_poll_answer(200, "<html>login</html>", "text/html; charset=utf-8");
    CHECK(html.outcome == PollOutcome::ended);
    CHECK_THAT(html.why, Catch::Contains("text/html"));
    for (const char* body : {"", "null", "[]", R"({"messages":{}})", R"({"messages":3})"}) {
        INFO(body);
        CHECK(read_poll_answer(200, body, "application/json").outcome == PollOutcome::ended);
    }
}

TEST_CASE(
    "a poll's time limit grows with its body at 16 KiB/s over the 10 s for the answer's start",
    "[poll]") {
    using std::chrono::milliseconds;
    CHECK(poll_exchange_timeout(milliseconds(10000), 0) == milliseconds(10000));
    CHECK(poll_exchange_timeout(milliseconds(10000), 16 * 1024) == milliseconds(11000));
    CHECK(poll_exchange_timeout(milliseconds(10000), 1) == milliseconds(10001));
    // A 1 MiB body: 64 s of upload at the floor rate (16 s at 512 kbit/s fits).
    CHECK(poll_exchange_timeout(milliseconds(10000), 1024 * 1024) == milliseconds(74000));
}
