// Sealing over the HTTPS polling fallback (protocol.md §7, §8): a
// SealingConnection around a real PollConnection against the loopback
// HTTPS server of the transport tests. The bodies carry hello in clear and
// every later message sealed, one element of `messages` each; the answer's
// sealed welcome is opened before it is handed on; each polling period is a
// new channel (a new ephemeral key, counters from 0).
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "../transport/test_certs.hpp"
#include "../transport/test_server.hpp"
#include "agent/auth/base64url.hpp"
#include "agent/common/json/json_reader.hpp"
#include "agent/seal/sealing_connection.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/poll_connection.hpp"
#include "seal_test_keys.hpp"

using namespace outpost;
using namespace std::chrono_literals;

namespace {

const std::string kHello =
    R"({"type":"hello","id":"h-1","ts":"2026-12-07T00:00:00.000Z","data":{}})";
const std::string kWelcome =
    R"({"type":"welcome","id":"w-1","ts":"2026-12-07T00:00:00.000Z","data":{"protocol":"outpost.v1","session_id":"s-1","server_time":"2026-12-07T00:00:00Z"}})";
const std::string kResult =
    R"({"type":"command_result","id":"r-1","ts":"2026-12-07T00:00:00.000Z","data":{}})";

// The elements of a poll request body's `messages`, as JSON text.
std::vector<std::string> messages_of(const std::string& body) {
    auto document = json::Document::parse(body);
    REQUIRE(document);
    auto root = document->root().object();
    REQUIRE(root);
    auto messages = root->find("messages");
    REQUIRE(messages);
    auto array = messages->array();
    REQUIRE(array);
    std::vector<std::string> out;
    for (const json::Value& m : *array) out.push_back(m.minified());
    return out;
}

seal::PublicKey ephemeral_of(const transport::Connection& connection) {
    auto offer = connection.hello_seal();
    REQUIRE(offer);
    auto bytes = auth::base64url_decode(offer->epk);
    REQUIRE(bytes);
    REQUIRE(bytes->size() == seal::kX25519Bytes);
    seal::PublicKey key{};
    std::copy(bytes->begin(), bytes->end(), key.begin());
    return key;
}

}  // namespace

TEST_CASE("polling sealed: hello in clear, then every message sealed per element, per period",
          "[poll]") {
    auto& http = transport::test::shared_tls_server();
    http.reset();
    auto created = transport::EventLoop::create();
    REQUIRE(created);
    auto loop = std::move(*created);

    const seal::KeyPair server = seal::testing::vector_server();
    const seal::KeyPair agent = seal::testing::vector_agent();
    std::vector<std::string> received;
    std::optional<std::string> failure;
    transport::ConnectionEvents events;
    std::unique_ptr<seal::SealingConnection> connection;
    events.on_open = [&](std::string_view) { REQUIRE(connection->send(kHello)); };
    events.on_message = [&](std::string_view text) { received.emplace_back(text); };
    events.on_seal_failure = [&](std::string counter, std::string) { failure = counter; };
    connection = std::make_unique<seal::SealingConnection>(
        seal::agent_key_pair(seal::testing::vector_identity()), server.public_key,
        std::move(events), [&loop](transport::ConnectionEvents inner) {
            return std::make_unique<transport::PollConnection>(*loop, std::move(inner));
        });

    transport::ConnectSettings settings;
    settings.url = "https://127.0.0.1:" + std::to_string(http.port()) + "/poll";
    settings.tls.ca_file = transport::test::test_pki().ca_cert;
    settings.poll_interval = 100ms;

    REQUIRE(connection->connect(settings, "tok-1"));
    const seal::PublicKey first_key = ephemeral_of(*connection);
    seal::testing::TestServer end(server, first_key, agent.public_key);
    http.script_polls(
        {transport::test::PollReply{200, R"({"messages":[)" + end.seal(kWelcome) + "]}"}});
    REQUIRE(loop->run_until([&] { return !received.empty() || failure; }, 10s));
    REQUIRE_FALSE(failure);
    CHECK(received == std::vector<std::string>{kWelcome});  // opened before it is handed on

    REQUIRE(connection->send(kResult));
    REQUIRE(connection->send(kResult));
    REQUIRE(loop->run_until([&] { return http.seen().poll_bodies.size() >= 2; }, 10s));
    const auto bodies = http.seen().poll_bodies;
    CHECK(messages_of(bodies[0]) == std::vector<std::string>{kHello});  // hello is not sealed
    const auto sealed = messages_of(bodies[1]);
    REQUIRE(sealed.size() == 2);
    for (const std::string& outer : sealed) {
        CHECK(outer.starts_with(R"({"type":"sealed")"));
        CHECK(end.open(outer) == kResult);
    }
    CHECK_THAT(sealed[0], Catch::Contains(R"("n":0)"));
    CHECK_THAT(sealed[1], Catch::Contains(R"("n":1)"));

    // A period that ends ends its channel: the next one has a new key.
    http.script_polls({transport::test::PollReply{500, "down"}});
    bool ended = false;
    REQUIRE(loop->run_until(
        [&] {
            ended = connection->state() == transport::ConnectionState::kIdle;
            return ended;
        },
        10s));
    REQUIRE(connection->connect(settings, "tok-1"));
    CHECK(ephemeral_of(*connection) != first_key);
    connection->abort();
    REQUIRE(loop->run_until(
        [&] { return connection->state() == transport::ConnectionState::kIdle; }, 10s));
}
