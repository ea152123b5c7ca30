// The hub's reading of §7 poll request bodies and its answers' shape: what
// the poll endpoint refuses, with which status, before any session sees it.

#include <catch2/catch.hpp>

#include "tests/hub/json_in.hpp"
#include "tests/hub/poll_body.hpp"

namespace outpost::hub {
namespace {

TEST_CASE("poll body: messages come out as compact JSON, oldest first", "[hub][poll]") {
    auto body = parse_poll_request(
        R"({"protocol":"outpost.v1","messages":[ {"type":"hello", "id":"1","ts":"t","data":{}},
            {"type":"ping","id":"2","ts":"t","data":{ }} ]})");
    REQUIRE(body);
    REQUIRE(body->messages.size() == 2);
    CHECK(body->starts_period);
    CHECK(body->messages[0] == R"({"type":"hello","id":"1","ts":"t","data":{}})");
    CHECK(body->messages[1] == R"({"type":"ping","id":"2","ts":"t","data":{}})");
    CHECK(body->types == std::vector<std::string>{"hello", "ping"});
}

TEST_CASE("poll body: only a hello in first place starts a polling period", "[hub][poll]") {
    auto later = parse_poll_request(
        R"({"messages":[{"type":"ping","id":"1","ts":"t","data":{}},{"type":"hello","id":"2","ts":"t","data":{}}]})");
    REQUIRE(later);
    CHECK_FALSE(later->starts_period);
    auto empty = parse_poll_request(R"({"protocol":"outpost.v1","messages":[]})");
    REQUIRE(empty);
    CHECK(empty->messages.empty());
    CHECK_FALSE(empty->starts_period);
}

TEST_CASE("poll body: malformed bodies are refused with 400", "[hub][poll]") {
    for (const char* text :
         {"", "not json", "[]", R"({"protocol":"outpost.v1"})", R"({"messages":{}})",
          R"({"messages":[1]})", R"({"protocol":7,"messages":[]})", "{\"messages\":[\"\xff\"]}"}) {
        INFO(text);
        auto body = parse_poll_request(text);
        REQUIRE_FALSE(body);
        CHECK(body.error().status == 400);
        CHECK_FALSE(body.error().reason.empty());
    }
}

TEST_CASE("poll body: another protocol is answered 426, a version mismatch", "[hub][poll]") {
    auto body = parse_poll_request(R"({"protocol":"outpost.v9","messages":[]})");
    REQUIRE_FALSE(body);
    CHECK(body.error().status == 426);
}

TEST_CASE("poll answer: the messages array in order, parseable", "[hub][poll]") {
    CHECK(render_poll_answer({}) == R"({"messages":[]})");
    const std::string a = R"({"type":"welcome","id":"1","ts":"t","data":{}})";
    const std::string b = R"({"type":"execute","id":"2","ts":"t","data":{}})";
    const auto text = render_poll_answer({a, b});
    CHECK(text == R"({"messages":[)" + a + "," + b + "]}");
    auto doc = JsonDoc::parse(text);
    REQUIRE(doc);
    CHECK(doc->is_object());
}

}  // namespace
}  // namespace outpost::hub
