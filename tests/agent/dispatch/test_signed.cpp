#include <fmt/format.h>

#include "agent/auth/jws.hpp"
#include "agent/auth/secret_key.hpp"
#include "dispatcher_fixture.hpp"

using namespace outpost::dispatch::test;
using outpost::auth::SecretKey;

namespace {

std::string signed_message(const SecretKey& key, const std::string& inner_data,
                           const std::string& node_id, long exp_offset_s,
                           const std::string& inner_type = "execute") {
    long exp = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()) +
               exp_offset_s;
    std::string payload = fmt::format(
        R"({{"type":"{}","id":"inner-1","ts":"2026-11-22T10:00:00Z","data":{},"node_id":"{}","exp":{}}})",
        inner_type, inner_data, node_id, exp);
    std::string jws =
        outpost::auth::sign_compact_jws(R"({"alg":"EdDSA","kid":"cp-1"})", payload, key);
    return R"({"type":"signed","id":"s-1","ts":"2026-11-22T10:00:00Z","data":{"jws":")" + jws +
           "\"}}";
}

const std::string kEcho = R"({"request_id":"sg-1","command":"echo","args":["signed"]})";

}  // namespace

TEST_CASE("with a command key, a valid signed execute runs") {
    auto key = SecretKey::generate();
    REQUIRE(key.has_value());
    Fixture f(true, key->public_key());
    f.deliver(signed_message(*key, kEcho, "node-1", 300));
    REQUIRE(f.wait_results("sg-1"));
    CHECK(f.results("sg-1")[0]->stdout_text == "signed\n");
}

TEST_CASE("with a command key, an unsigned execute is bad_signature and not journaled") {
    auto key = SecretKey::generate();
    REQUIRE(key.has_value());
    Fixture f(true, key->public_key());
    f.deliver(execute_json("us-1", "append", {}));
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "bad_signature");
    CHECK(f.acks("us-1").empty());
    auto record = f.journal->lookup("us-1");
    REQUIRE(record.has_value());
    CHECK_FALSE(record->has_value());
}

TEST_CASE("a signature by another key is bad_signature, another node or expired is expired") {
    auto key = SecretKey::generate();
    auto other = SecretKey::generate();
    REQUIRE((key && other));
    Fixture f(true, key->public_key());
    f.deliver(signed_message(*other, kEcho, "node-1", 300));
    f.deliver(signed_message(*key, kEcho, "node-2", 300));
    f.deliver(signed_message(*key, kEcho, "node-1", -120));
    REQUIRE(f.errors().size() == 3);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "bad_signature");
    CHECK(outpost::protocol::to_string(f.errors()[1]->code) == "expired");
    CHECK(outpost::protocol::to_string(f.errors()[2]->code) == "expired");
    CHECK(f.results("sg-1").empty());
    // Within the 60 s skew it is still accepted.
    f.deliver(signed_message(*key, kEcho, "node-1", -30));
    CHECK(f.wait_results("sg-1"));
}

TEST_CASE("a signed command valid for longer than journal.retention is refused as expired") {
    // The journal forgets a request_id after retention (7 days here); a
    // command that is still valid then could be replayed and run again.
    auto key = SecretKey::generate();
    REQUIRE(key.has_value());
    Fixture f(true, key->public_key());
    f.deliver(signed_message(*key, kEcho, "node-1", 8 * 24 * 3600));
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "expired");
    CHECK(f.errors()[0]->message.find("journal.retention") != std::string::npos);
    CHECK(f.acks("sg-1").empty());
    f.deliver(signed_message(*key, kEcho, "node-1", 6 * 24 * 3600));
    CHECK(f.wait_results("sg-1"));
}

TEST_CASE("a signed message without a configured key is unsupported") {
    auto key = SecretKey::generate();
    REQUIRE(key.has_value());
    Fixture f;
    f.deliver(signed_message(*key, kEcho, "node-1", 300));
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "unsupported");
}

TEST_CASE(
    "signed result_ack and health_check are accepted, a signed ping is not, errors name the "
    "envelope") {
    auto key = SecretKey::generate();
    REQUIRE(key.has_value());
    Fixture f(true, key->public_key());
    f.deliver(signed_message(*key, kEcho, "node-1", 300));
    REQUIRE(f.wait_results("sg-1"));
    f.deliver(signed_message(*key, R"({"request_id":"sg-1"})", "node-1", 300, "result_ack"));
    CHECK(f.journal->results_awaiting_ack() == 0u);
    f.deliver(signed_message(*key, R"({"request_id":"hc-1"})", "node-1", 300, "health_check"));
    bool answered = false;
    for (const auto& body : f.sent) {
        if (const auto* h = std::get_if<outpost::protocol::outbound::Health>(&body)) {
            answered = h->ref == "hc-1";
        }
    }
    CHECK(answered);
    CHECK(f.errors().empty());

    f.deliver(signed_message(*key, "{}", "node-1", 300, "ping"));
    REQUIRE(f.errors().size() == 1);
    CHECK(outpost::protocol::to_string(f.errors()[0]->code) == "schema");
    // A signed cancel of an unknown command: the error's ref is the envelope's id.
    f.deliver(signed_message(*key, R"({"request_id":"nope"})", "node-1", 300, "cancel"));
    REQUIRE(f.errors().size() == 2);
    CHECK(outpost::protocol::to_string(f.errors()[1]->code) == "unknown_request");
    CHECK(f.errors()[1]->ref == "s-1");
    // The misplaced ping is an invalid message (protocol.md §3), like the
    // parser's; a cancel that came too late is not.
    CHECK(f.invalid == std::map<std::string, int>{{"schema", 1}});
}
