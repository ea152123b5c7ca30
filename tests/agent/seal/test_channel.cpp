// SealChannel (protocol.md §8) against a control plane's end computed the
// server's way (seal_test_keys.hpp): round trips both ways, the counters,
// and every refusal of §8 as its typed error.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "agent/auth/base64url.hpp"
#include "agent/seal/channel.hpp"
#include "agent/seal/envelope.hpp"
#include "seal_test_keys.hpp"

using namespace outpost;
using namespace outpost::seal;
using namespace outpost::seal::testing;

namespace {

constexpr std::string_view kWelcome =
    R"({"type":"welcome","id":"33333333-3333-4333-8333-333333333333","ts":"2026-12-07T00:00:00.000Z","data":{"protocol":"outpost.v1","session_id":"s","server_time":"2026-12-07T00:00:00.000Z"}})";
constexpr std::string_view kExecute =
    R"({"type":"execute","id":"44444444-4444-4444-8444-444444444444","ts":"2026-12-07T00:00:00.000Z","data":{"request_id":"r1","command":"uptime","args":[]}})";

struct Pair {
    KeyPair agent = vector_agent();
    KeyPair server = vector_server();
    SealChannel channel = make(agent, server.public_key);
    TestServer peer{server, channel.ephemeral_public(), agent.public_key};

    static SealChannel make(const KeyPair& agent, const PublicKey& server) {
        auto channel = SealChannel::create(agent, server);
        REQUIRE(channel);
        return std::move(*channel);
    }
};

Refusal refusal_of(SealChannel& channel, const std::string& text) {
    auto opened = channel.open(text);
    REQUIRE_FALSE(opened);
    INFO(opened.error().what);
    CHECK(opened.error().what.starts_with("seal: "));
    return opened.error().refusal;
}

// `outer` with one character of its base64url `c` changed.
std::string with_c_changed(std::string outer) {
    const auto at = outer.find(R"("c":")") + 5;
    outer[at] = outer[at] == 'A' ? 'B' : 'A';
    return outer;
}

}  // namespace

TEST_CASE("sealed messages round-trip both ways, n counting from 0 in each direction") {
    Pair p;
    CHECK(p.channel.next_outbound_n() == 0);
    for (int i = 0; i < 3; ++i) {
        auto sealed = p.channel.seal(R"({"type":"ping","id":"x","ts":"t","data":{}})");
        REQUIRE(sealed);
        Outer outer = read_outer(*sealed);
        CHECK(outer.type == "sealed");
        CHECK(outer.n == static_cast<std::uint64_t>(i));
        CHECK(p.peer.open(*sealed) == R"({"type":"ping","id":"x","ts":"t","data":{}})");
        // The plaintext is nowhere in the outer message.
        CHECK(sealed->find("ping") == std::string::npos);
    }
    auto welcome = p.channel.open(p.peer.seal(kWelcome));
    REQUIRE(welcome);
    CHECK(welcome->text == kWelcome);
    CHECK_FALSE(welcome->unsealed_error);
    auto execute = p.channel.open(p.peer.seal(kExecute));
    REQUIRE(execute);
    CHECK(execute->text == kExecute);
}

TEST_CASE("the outer message has the envelope of protocol.md 8") {
    Pair p;
    auto sealed =
        p.channel.seal("{}", "11111111-1111-4111-8111-111111111111", "2026-12-07T00:00:00.000Z");
    REQUIRE(sealed);
    CHECK(sealed->starts_with(
        R"({"type":"sealed","id":"11111111-1111-4111-8111-111111111111","ts":"2026-12-07T00:00:00.000Z","data":{"n":0,"c":")"));
    CHECK(sealed->ends_with(R"("}})"));
    CHECK(sealed->find('=') == std::string::npos);  // base64url without padding
}

TEST_CASE("gaps in the server's n are allowed") {
    Pair p;
    REQUIRE(p.channel.open(p.peer.seal_with(3, kWelcome)));
    REQUIRE(p.channel.open(p.peer.seal_with(10, kExecute)));
}

TEST_CASE("c with base64 padding is accepted too") {
    // kWelcome and its tag are 201 bytes (201 % 3 == 0); one more byte of
    // JSON whitespace needs "==", two need "=".
    for (const auto& [spaces, padding] : {std::pair{1, "=="}, std::pair{2, "="}}) {
        Pair p;
        std::string inner = std::string(kWelcome);
        inner.insert(inner.size() - 1, std::string(static_cast<std::size_t>(spaces), ' '));
        std::string sealed = p.peer.seal(inner);
        sealed.insert(sealed.rfind('"'), padding);
        auto opened = p.channel.open(sealed);
        INFO((opened ? std::string() : opened.error().what));
        REQUIRE(opened);
        CHECK(opened->text == inner);
    }
}

TEST_CASE("a tampered ciphertext does not open") {
    Pair p;
    CHECK(refusal_of(p.channel, with_c_changed(p.peer.seal(kWelcome))) == Refusal::did_not_open);
}

TEST_CASE("a tampered outer id (the associated data) does not open") {
    Pair p;
    std::string sealed = p.peer.seal(kWelcome, "22222222-2222-4222-8222-222222222222");
    const auto at = sealed.find("22222222");
    sealed.replace(at, 8, "99999999");
    CHECK(refusal_of(p.channel, sealed) == Refusal::did_not_open);
}

TEST_CASE("a tampered n does not open") {
    Pair p;
    std::string sealed = p.peer.seal_with(4, kWelcome);
    const auto at = sealed.find(R"("n":4)");
    sealed.replace(at, 5, R"("n":7)");
    CHECK(refusal_of(p.channel, sealed) == Refusal::did_not_open);
}

TEST_CASE("a replayed n is refused") {
    Pair p;
    const std::string welcome = p.peer.seal(kWelcome);
    REQUIRE(p.channel.open(welcome));
    CHECK(refusal_of(p.channel, welcome) == Refusal::replayed);
}

TEST_CASE("a smaller n is refused, even when it opens") {
    Pair p;
    REQUIRE(p.channel.open(p.peer.seal_with(5, kWelcome)));
    CHECK(refusal_of(p.channel, p.peer.seal_with(4, kExecute)) == Refusal::replayed);
}

TEST_CASE("a message that did not open does not move the counter") {
    Pair p;
    CHECK(refusal_of(p.channel, with_c_changed(p.peer.seal_with(9, kWelcome))) ==
          Refusal::did_not_open);
    // The caller closes on any refusal; still, the forged n was not accepted.
    CHECK(p.channel.open(p.peer.seal_with(1, kWelcome)));
}

TEST_CASE("a sealed message inside a sealed message is refused") {
    Pair p;
    const std::string inner = p.peer.seal_with(0, kExecute);
    CHECK(refusal_of(p.channel, p.peer.seal_with(1, inner)) == Refusal::inner_sealed);
}

TEST_CASE("an unsealed welcome is refused") {
    Pair p;
    CHECK(refusal_of(p.channel, std::string(kWelcome)) == Refusal::unsealed);
}

TEST_CASE("an unsealed command after welcome is refused") {
    Pair p;
    REQUIRE(p.channel.open(p.peer.seal(kWelcome)));
    CHECK(refusal_of(p.channel, std::string(kExecute)) == Refusal::unsealed);
}

TEST_CASE("text that is not JSON is refused as unsealed") {
    Pair p;
    CHECK(refusal_of(p.channel, "not json") == Refusal::unsealed);
    CHECK(refusal_of(p.channel, "[1,2]") == Refusal::unsealed);
}

TEST_CASE("a sealed envelope without n, id or a base64url c is malformed") {
    Pair p;
    CHECK(refusal_of(p.channel, R"({"type":"sealed","id":"i","ts":"t","data":{"c":"AAAA"}})") ==
          Refusal::malformed);
    CHECK(refusal_of(p.channel,
                     R"({"type":"sealed","id":"i","ts":"t","data":{"n":-1,"c":"AAAA"}})") ==
          Refusal::malformed);
    CHECK(refusal_of(p.channel, R"({"type":"sealed","ts":"t","data":{"n":0,"c":"AAAA"}})") ==
          Refusal::malformed);
    CHECK(refusal_of(p.channel, R"({"type":"sealed","id":"i","ts":"t","data":{"n":0,"c":"*"}})") ==
          Refusal::malformed);
    // Well-formed but shorter than a tag: it cannot open.
    CHECK(
        refusal_of(p.channel, R"({"type":"sealed","id":"i","ts":"t","data":{"n":0,"c":"AAAA"}})") ==
        Refusal::did_not_open);
}

TEST_CASE("an unsealed error is let through to be logged, and nothing else") {
    Pair p;
    const std::string error =
        R"({"type":"error","id":"e","ts":"t","data":{"ref":null,"code":"schema","message":"m","path":null}})";
    auto opened = p.channel.open(error);
    REQUIRE(opened);
    CHECK(opened->unsealed_error);
    CHECK(opened->text == error);
}

TEST_CASE("a server holding another key: its messages do not open") {
    const KeyPair agent = vector_agent();
    const KeyPair real_server = vector_server();
    const KeyPair configured = vector_pair(0x60);  // what the agent was given
    auto channel = SealChannel::create(agent, configured.public_key);
    REQUIRE(channel);
    TestServer impostor{real_server, channel->ephemeral_public(), agent.public_key};
    CHECK(refusal_of(*channel, impostor.seal(kWelcome)) == Refusal::did_not_open);
}

TEST_CASE("two connections have different keys: one's messages do not open in the other") {
    const KeyPair agent = vector_agent();
    const KeyPair server = vector_server();
    auto first = SealChannel::create(agent, server.public_key);
    auto second = SealChannel::create(agent, server.public_key);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->ephemeral_public() != second->ephemeral_public());
    TestServer first_peer{server, first->ephemeral_public(), agent.public_key};
    CHECK(refusal_of(*second, first_peer.seal(kWelcome)) == Refusal::did_not_open);
}

TEST_CASE("hello's epk is E in base64url without padding") {
    Pair p;
    auto decoded = auth::base64url_decode(p.channel.hello_epk());
    REQUIRE(decoded);
    CHECK(std::equal(decoded->begin(), decoded->end(), p.channel.ephemeral_public().begin(),
                     p.channel.ephemeral_public().end()));
    CHECK(p.channel.hello_epk().size() == 43);
}

TEST_CASE("the largest inner message seals within the outer limit, one byte more does not") {
    for (std::size_t max : {std::size_t{1024}, std::size_t{65536}, std::size_t{1024 * 1024}}) {
        const std::size_t inner = max_inner_bytes(max);
        INFO("max_message_bytes " << max << ", inner limit " << inner);
        CHECK(inner < max);
        CHECK(inner > max * 3 / 4 - 200);
        // With the longest n and ids, as the limit assumes.
        const std::string c_fit = auth::base64url_encode(std::string(inner + kTagBytes, 'x'));
        const std::string c_over = auth::base64url_encode(std::string(inner + 1 + kTagBytes, 'x'));
        const std::string id = "00000000-0000-4000-8000-000000000000";
        const std::string ts = "2026-12-07T00:00:00.000Z";
        const auto n = std::numeric_limits<std::uint64_t>::max();
        CHECK(encode_outer(id, ts, n, c_fit).size() <= max);
        CHECK(encode_outer(id, ts, n, c_over).size() > max);
    }
    CHECK(max_inner_bytes(10) == 0);
    CHECK(max_inner_bytes(1024 * 1024) == 786315);  // the figure docs/sealing.md gives
}
