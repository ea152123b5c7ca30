// The known-answer test of protocol.md §8 (docs/sealing.md, "Test vectors"):
// fixed keys and counters must give these exact bytes. The expected values
// were computed apart from this code and from libsodium (Python's
// `cryptography`: X25519, BLAKE2b, ChaCha20-Poly1305; the Ed25519 → X25519
// map by hand), so a mistake in the key schedule, the nonce layout or the
// associated data cannot agree with them by accident. Every intermediate is
// printed on failure, so a mismatch with another implementation can be
// located.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "agent/auth/base64url.hpp"
#include "agent/seal/envelope.hpp"
#include "agent/seal/keys.hpp"
#include "seal_test_keys.hpp"

using namespace outpost;
using namespace outpost::seal;
using namespace outpost::seal::testing;

namespace {

template <class Bytes>
std::string hex(const Bytes& bytes) {
    std::string out;
    for (std::uint8_t b : bytes) out += fmt::format("{:02x}", b);
    return out;
}

constexpr std::string_view kPing =
    R"({"type":"ping","id":"00000000-0000-4000-8000-000000000000","ts":"2026-12-07T00:00:00.000Z","data":{}})";
constexpr std::string_view kWelcome =
    R"({"type":"welcome","id":"33333333-3333-4333-8333-333333333333","ts":"2026-12-07T00:00:00.000Z","data":{"protocol":"outpost.v1","session_id":"s","server_time":"2026-12-07T00:00:00.000Z"}})";
constexpr std::string_view kAgentOuterId = "11111111-1111-4111-8111-111111111111";
constexpr std::string_view kServerOuterId = "22222222-2222-4222-8222-222222222222";

// Expected values (hex), see docs/sealing.md.
constexpr std::string_view kA = "4701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01";
constexpr std::string_view kS = "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254";
constexpr std::string_view kE = "79a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51a";
constexpr std::string_view kDh1 =
    "04c304fb1ca83cee75e206344231f33797e07d9929db670994b7c6fbeb1dc255";
constexpr std::string_view kDh2 =
    "047f9f001d84201772e3859ff57049f986575709308c14e329ac8fbeaa9f485a";
constexpr std::string_view kOkm =
    "30d8d7734180582e59af8e4cc5d8e3b69a50ba5cfd8eab30a5f5f746f0e30c79"
    "5f42404e4817b762a1825899283347f46eb6c4195f3f43b2d5ba26001855b45e";
constexpr std::string_view kPingN0 =
    "34f96975d6fb89e06ccee08f02e0a91aad41baa1f9830caf73d821a7db286567cf079d67744371e9c7b1a4e256da"
    "ea54fedfe9fce740c5be8895bf0cf8ae6662c560165c2357006382a5f0ae76f63b7d675e88d703538863d051a643"
    "0b0554668d4dbbc068ab2eafe63ca5f0dbe7ed1706549e60cd";
constexpr std::string_view kPingN0Base64url =
    "NPlpddb7ieBszuCPAuCpGq1BuqH5gwyvc9ghp9soZWfPB51ndENx6cexpOJW2upU_t_p_OdAxb6Ilb8M-K5mYsVgFlwjV"
    "wBjgqXwrnb2O31nXojXA1OIY9BRpkMLBVRmjU27wGirLq_mPKXw2-ftFwZUnmDN";
constexpr std::string_view kPingN5 =
    "295a449371aee4ff91d81023ed8d2604e291da63388e19ec0a9b4ff22a492de67d47b1d0875d92850eb293f1cc44"
    "fd5185688be1f6772e6e206568a805cc0ab59259155c1317c8d9f078fd90508b1f3cb4c3deb40a323d01deff9b0c"
    "f209b3e3b109ac2ee5724675930840304ecde5797ddf455544";
constexpr std::string_view kPingN5Base64url =
    "KVpEk3Gu5P-R2BAj7Y0mBOKR2mM4jhnsCptP8ipJLeZ9R7HQh12ShQ6yk_HMRP1RhWiL4fZ3Lm4gZWioBcwKtZJZFVwTF"
    "8jZ8Hj9kFCLHzy0w960CjI9Ad7_mwzyCbPjsQmsLuVyRnWTCEAwTs3leX3fRVVE";
constexpr std::string_view kWelcomeN0 =
    "acee7722cdf97ad0d7e67e056fec732ced2354e498c6eb407eabff0399aa2aeecd6173fd4ee8a79bad1c161ee692"
    "fadc0f9c9c148d66169d714198b627750f0696291849f881b46063ce2463cd3db68ec5a1059a16b0aada45ce19df"
    "083645e231e98b8676e5e9f38439fd150f5100d84f265a385c461da251ccbba016926a03228c2f30d1936e2f8c4c"
    "e7727d0277bde06bcc9151033be7aec8163edb25238e723954993db43a6df54e3d6793b1356d133edf48876ee62d"
    "96f3e2be7784c4e14eac0dc5f2f7a78d98";
constexpr std::string_view kWelcomeN0Base64url =
    "rO53Is35etDX5n4Fb-xzLO0jVOSYxutAfqv_A5mqKu7NYXP9Tuinm60cFh7mkvrcD5ycFI1mFp1xQZi2J3UPBpYpGEn4g"
    "bRgY84kY809to7FoQWaFrCq2kXOGd8INkXiMemLhnbl6fOEOf0VD1EA2E8mWjhcRh2iUcy7oBaSagMijC8w0ZNuL4xM53"
    "J9Ane94GvMkVEDO-euyBY-2yUjjnI5VJk9tDpt9U49Z5OxNW0TPt9Ih27mLZbz4r53hMThTqwNxfL3p42Y";

}  // namespace

TEST_CASE("the known-answer vector: keys, key schedule and three sealed messages") {
    const KeyPair agent = vector_agent();
    const KeyPair server = vector_server();
    const KeyPair ephemeral = vector_ephemeral();
    auto dh1 = x25519(ephemeral.secret, server.public_key);
    auto dh2 = x25519(agent.secret, server.public_key);
    REQUIRE(dh1);
    REQUIRE(dh2);
    auto okm = key_schedule(*dh1, *dh2, ephemeral.public_key, agent.public_key, server.public_key);
    REQUIRE(okm);
    auto keys = derive_direction_keys(ephemeral, agent, server.public_key);
    REQUIRE(keys);

    const auto ping0 = encrypt(keys->agent_to_server, 0, kAgentOuterId, kPing);
    const auto ping5 = encrypt(keys->agent_to_server, 5, kAgentOuterId, kPing);
    const auto welcome0 = encrypt(keys->server_to_agent, 0, kServerOuterId, kWelcome);

    INFO("A   = " << hex(agent.public_key));
    INFO("S   = " << hex(server.public_key));
    INFO("E   = " << hex(ephemeral.public_key));
    INFO("dh1 = " << hex(dh1->bytes()));
    INFO("dh2 = " << hex(dh2->bytes()));
    INFO("okm = " << hex(okm->bytes()));
    INFO("c(ping, n=0)    = " << hex(ping0));
    INFO("c(ping, n=5)    = " << hex(ping5));
    INFO("c(welcome, n=0) = " << hex(welcome0));

    CHECK(hex(agent.public_key) == kA);
    CHECK(hex(server.public_key) == kS);
    CHECK(hex(ephemeral.public_key) == kE);
    CHECK(hex(dh1->bytes()) == kDh1);
    CHECK(hex(dh2->bytes()) == kDh2);
    CHECK(hex(okm->bytes()) == kOkm);
    CHECK(hex(keys->agent_to_server.bytes()) == kOkm.substr(0, 64));
    CHECK(hex(keys->server_to_agent.bytes()) == kOkm.substr(64));
    CHECK(hex(ping0) == kPingN0);
    CHECK(auth::base64url_encode(ping0) == kPingN0Base64url);
    CHECK(hex(ping5) == kPingN5);
    CHECK(auth::base64url_encode(ping5) == kPingN5Base64url);
    CHECK(hex(welcome0) == kWelcomeN0);
    CHECK(auth::base64url_encode(welcome0) == kWelcomeN0Base64url);

    // And the receiving side of the same bytes.
    auto opened = decrypt(keys->server_to_agent, 0, kServerOuterId, welcome0);
    REQUIRE(opened);
    CHECK(*opened == kWelcome);
}

TEST_CASE("A is the identity's Ed25519 public key mapped to X25519") {
    // The control plane derives A from the key it registered (§8), with
    // crypto_sign_ed25519_pk_to_curve25519; the secret side must agree.
    const KeyPair agent = vector_agent();
    auto again = key_pair_from_secret(agent.secret.bytes());
    REQUIRE(again);
    CHECK(again->public_key == agent.public_key);
}

TEST_CASE("the nonce is four zero bytes and n as 64-bit big-endian") {
    const auto nonce = nonce_for(0x0102030405060708ULL);
    CHECK(hex(nonce) == "000000000102030405060708");
    CHECK(hex(nonce_for(0)) == "000000000000000000000000");
}

TEST_CASE("each connection's ephemeral key is fresh") {
    auto first = ephemeral_key_pair();
    auto second = ephemeral_key_pair();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->public_key != second->public_key);
}

TEST_CASE("a low-order server key gives no keys") {
    const KeyPair agent = vector_agent();
    const KeyPair ephemeral = vector_ephemeral();
    const PublicKey zero{};  // the point of order 1: every X25519 with it is zero
    auto keys = derive_direction_keys(ephemeral, agent, zero);
    REQUIRE_FALSE(keys);
    CHECK(keys.error().kind() == ErrorKind::invalid_input);
}
