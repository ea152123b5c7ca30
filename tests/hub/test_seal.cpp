// The hub's sealing (protocol.md §8) against fixed bytes: the known-answer
// vector of the sealing issue, computed by the hub's own code (seal.cpp) and
// cross-checked once, independently, with Python's `cryptography` (OpenSSL)
// and hashlib's BLAKE2b. The agent side (agent/) computes the same vector in
// its own test; docs/sealing.md publishes it for other control planes.

#include <sodium.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <numeric>
#include <sstream>

#include "tests/hub/b64.hpp"
#include "tests/hub/json_in.hpp"
#include "tests/hub/seal.hpp"
#include "tests/hub/seal_channel.hpp"
#include "tests/support/temp_dir.hpp"

namespace outpost::hub {
namespace {

std::string hex(std::span<const uint8_t> b) {
    std::string out;
    static constexpr char kDigits[] = "0123456789abcdef";
    for (uint8_t x : b) {
        out += kDigits[x >> 4];
        out += kDigits[x & 15];
    }
    return out;
}

seal::Key counting_from(uint8_t first) {
    seal::Key k{};
    std::iota(k.begin(), k.end(), first);
    return k;
}

// The agent's half of the vector, as the sealing issue defines it: Ed25519
// from seed 00..1f, its X25519 pair by the libsodium conversions, ephemeral
// e = 40..5f.
struct AgentSide {
    seal::Key ed_pk{};
    seal::Key a{};
    seal::Key A{};
    seal::Key e = counting_from(0x40);
    seal::Key E{};

    AgentSide() {
        const seal::Key seed = counting_from(0x00);
        std::array<uint8_t, crypto_sign_SECRETKEYBYTES> ed_sk{};
        REQUIRE(crypto_sign_seed_keypair(ed_pk.data(), ed_sk.data(), seed.data()) == 0);
        REQUIRE(crypto_sign_ed25519_sk_to_curve25519(a.data(), ed_sk.data()) == 0);
        REQUIRE(crypto_sign_ed25519_pk_to_curve25519(A.data(), ed_pk.data()) == 0);
        REQUIRE(crypto_scalarmult_base(E.data(), e.data()) == 0);
    }
};

constexpr std::string_view kPing =
    R"({"type":"ping","id":"00000000-0000-4000-8000-000000000000","ts":"2026-12-07T00:00:00.000Z","data":{}})";
constexpr std::string_view kWelcome =
    R"({"type":"welcome","id":"33333333-3333-4333-8333-333333333333","ts":"2026-12-07T00:00:00.000Z","data":{"protocol":"outpost.v1","session_id":"s","server_time":"2026-12-07T00:00:00.000Z"}})";
constexpr std::string_view kAgentOuterId = "11111111-1111-4111-8111-111111111111";
constexpr std::string_view kServerOuterId = "22222222-2222-4222-8222-222222222222";

// Expected bytes (hex), see the header comment.
constexpr std::string_view kEdPk =
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
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
    "34f96975d6fb89e06ccee08f02e0a91aad41baa1f9830caf73d821a7db286567cf079d67744371e9c7b1a4e256"
    "daea54fedfe9fce740c5be8895bf0cf8ae6662c560165c2357006382a5f0ae76f63b7d675e88d703538863d051"
    "a6430b0554668d4dbbc068ab2eafe63ca5f0dbe7ed1706549e60cd";
constexpr std::string_view kPingN0B64 =
    "NPlpddb7ieBszuCPAuCpGq1BuqH5gwyvc9ghp9soZWfPB51ndENx6cexpOJW2upU_t_p_OdAxb6Ilb8M-"
    "K5mYsVgFlwjVwBjgqXwrnb2O31nXojXA1OIY9BRpkMLBVRmjU27wGirLq_mPKXw2-ftFwZUnmDN";
constexpr std::string_view kPingN5 =
    "295a449371aee4ff91d81023ed8d2604e291da63388e19ec0a9b4ff22a492de67d47b1d0875d92850eb293f1cc"
    "44fd5185688be1f6772e6e206568a805cc0ab59259155c1317c8d9f078fd90508b1f3cb4c3deb40a323d01deff"
    "9b0cf209b3e3b109ac2ee5724675930840304ecde5797ddf455544";
constexpr std::string_view kPingN5B64 =
    "KVpEk3Gu5P-R2BAj7Y0mBOKR2mM4jhnsCptP8ipJLeZ9R7HQh12ShQ6yk_HMRP1RhWiL4fZ3Lm4gZWioBcwKtZJZFVwT"
    "F8jZ8Hj9kFCLHzy0w960CjI9Ad7_mwzyCbPjsQmsLuVyRnWTCEAwTs3leX3fRVVE";
constexpr std::string_view kWelcomeN0 =
    "acee7722cdf97ad0d7e67e056fec732ced2354e498c6eb407eabff0399aa2aeecd6173fd4ee8a79bad1c161ee6"
    "92fadc0f9c9c148d66169d714198b627750f0696291849f881b46063ce2463cd3db68ec5a1059a16b0aada45ce"
    "19df083645e231e98b8676e5e9f38439fd150f5100d84f265a385c461da251ccbba016926a03228c2f30d1936e"
    "2f8c4ce7727d0277bde06bcc9151033be7aec8163edb25238e723954993db43a6df54e3d6793b1356d133edf48"
    "876ee62d96f3e2be7784c4e14eac0dc5f2f7a78d98";
constexpr std::string_view kWelcomeN0B64 =
    "rO53Is35etDX5n4Fb-xzLO0jVOSYxutAfqv_A5mqKu7NYXP9Tuinm60cFh7mkvrcD5ycFI1mFp1xQZi2J3UPBpYpGEn4gb"
    "RgY84kY809to7FoQWaFrCq2kXOGd8INkXiMemLhnbl6fOEOf0VD1EA2E8mWjhcRh2iUcy7oBaSagMijC8w0ZNuL4xM53J9"
    "Ane94GvMkVEDO-euyBY-2yUjjnI5VJk9tDpt9U49Z5OxNW0TPt9Ih27mLZbz4r53hMThTqwNxfL3p42Y";

struct Vector {
    AgentSide agent;
    seal::Key s = counting_from(0x20);
    seal::Key S{};
    seal::Schedule schedule;

    Vector() {
        auto pub = seal::public_of(s);
        REQUIRE(pub);
        S = *pub;
        // The hub's path: A from the registered Ed25519 key, not from a.
        auto A = seal::x25519_from_ed25519(agent.ed_pk);
        REQUIRE(A);
        auto sch = seal::derive(s, S, *A, agent.E);
        REQUIRE(sch);
        schedule = *sch;
    }

    [[nodiscard]] std::string intermediates() const {
        std::ostringstream o;
        o << "ed25519 pk " << hex(agent.ed_pk) << "\nA   " << hex(agent.A) << "\nS   " << hex(S)
          << "\nE   " << hex(agent.E) << "\ndh1 " << hex(schedule.dh1) << "\ndh2 "
          << hex(schedule.dh2) << "\nokm " << hex(schedule.okm);
        return o.str();
    }
};

std::string outer(std::string_view id, std::string_view n, std::string_view c) {
    return std::string(R"({"type":"sealed","id":")") + std::string(id) +
           R"(","ts":"x","data":{"n":)" + std::string(n) + R"(,"c":")" + std::string(c) + R"("}})";
}

Expected<Opened> open_text(SealChannel& ch, const std::string& text) {
    auto doc = JsonDoc::parse(text);
    REQUIRE(doc);
    return ch.open(*doc);
}

}  // namespace

TEST_CASE("seal: the known-answer vector, key schedule and three messages", "[seal]") {
    REQUIRE(sodium_init() >= 0);
    Vector v;
    INFO(v.intermediates());
    CHECK(hex(v.agent.ed_pk) == kEdPk);
    CHECK(hex(v.agent.A) == kA);
    CHECK(hex(*seal::x25519_from_ed25519(v.agent.ed_pk)) == kA);
    CHECK(hex(v.S) == kS);
    CHECK(hex(v.agent.E) == kE);
    CHECK(hex(v.schedule.dh1) == kDh1);
    CHECK(hex(v.schedule.dh2) == kDh2);
    CHECK(hex(v.schedule.okm) == kOkm);

    // The agent's side of the same exchange gives the same secrets.
    seal::Key dh1{}, dh2{};
    REQUIRE(crypto_scalarmult(dh1.data(), v.agent.e.data(), v.S.data()) == 0);
    REQUIRE(crypto_scalarmult(dh2.data(), v.agent.a.data(), v.S.data()) == 0);
    CHECK(dh1 == v.schedule.dh1);
    CHECK(dh2 == v.schedule.dh2);

    const auto to_server = v.schedule.agent_to_server();
    const auto to_agent = v.schedule.server_to_agent();
    const auto ping0 = seal::encrypt(to_server, 0, kAgentOuterId, kPing);
    const auto ping5 = seal::encrypt(to_server, 5, kAgentOuterId, kPing);
    const auto welcome0 = seal::encrypt(to_agent, 0, kServerOuterId, kWelcome);
    CHECK(hex(ping0) == kPingN0);
    CHECK(b64url_encode(ping0) == kPingN0B64);
    CHECK(hex(ping5) == kPingN5);
    CHECK(b64url_encode(ping5) == kPingN5B64);
    CHECK(hex(welcome0) == kWelcomeN0);
    CHECK(b64url_encode(welcome0) == kWelcomeN0B64);

    CHECK(seal::decrypt(to_server, 0, kAgentOuterId, ping0) == std::string(kPing));
    CHECK(seal::decrypt(to_agent, 0, kServerOuterId, welcome0) == std::string(kWelcome));
    CHECK(hex(seal::nonce_for(5)) == "000000000000000000000005");
    CHECK(hex(seal::nonce_for(0x0102030405060708)) == "000000000102030405060708");
}

TEST_CASE("seal: the channel opens the vector's messages and refuses replays and forgeries",
          "[seal]") {
    REQUIRE(sodium_init() >= 0);
    Vector v;
    SealChannel ch(v.schedule);

    SECTION("n = 0, then n = 5 (a gap is allowed), then a repeat and a smaller n") {
        auto first = open_text(ch, outer(kAgentOuterId, "0", kPingN0B64));
        REQUIRE(first);
        CHECK(first->inner == kPing);
        CHECK(first->n == 0);
        CHECK(first->outer_id == kAgentOuterId);
        CHECK(open_text(ch, outer(kAgentOuterId, "0", kPingN0B64)).error().message() == "replay");
        REQUIRE(open_text(ch, outer(kAgentOuterId, "5", kPingN5B64)));
        CHECK(open_text(ch, outer(kAgentOuterId, "5", kPingN5B64)).error().message() == "replay");
        CHECK(open_text(ch, outer(kAgentOuterId, "0", kPingN0B64)).error().message() == "replay");
    }
    SECTION("padded base64url is accepted") {
        std::string padded(kPingN0B64);
        while (padded.size() % 4 != 0) padded += '=';
        CHECK(open_text(ch, outer(kAgentOuterId, "0", padded)));
    }
    SECTION("a forgery neither opens nor moves the counter") {
        std::string bad(kPingN0B64);
        bad[10] = bad[10] == 'A' ? 'B' : 'A';
        CHECK(open_text(ch, outer(kAgentOuterId, "0", bad)).error().message() == "open_failed");
        // The same n under another id (the associated data) does not open either.
        CHECK(open_text(ch, outer(kServerOuterId, "0", kPingN0B64)).error().message() ==
              "open_failed");
        // Under n = 5 the n = 0 ciphertext is wrong (the nonce differs).
        CHECK(open_text(ch, outer(kAgentOuterId, "5", kPingN0B64)).error().message() ==
              "open_failed");
        CHECK(open_text(ch, outer(kAgentOuterId, "0", kPingN0B64)));
    }
    SECTION("unsealed and malformed messages") {
        CHECK(open_text(ch, std::string(kPing)).error().message() == "unsealed");
        CHECK(open_text(ch, outer(kAgentOuterId, "-1", kPingN0B64)).error().message() ==
              "malformed");
        CHECK(open_text(ch, outer(kAgentOuterId, "\"0\"", kPingN0B64)).error().message() ==
              "malformed");
        CHECK(open_text(ch, outer(kAgentOuterId, "0", "!!")).error().message() == "malformed");
    }
    SECTION("an inner message of type sealed") {
        const std::string inner = outer(kAgentOuterId, "0", kPingN0B64);
        const auto c = seal::encrypt(v.schedule.agent_to_server(), 0, kAgentOuterId, inner);
        CHECK(open_text(ch, outer(kAgentOuterId, "0", b64url_encode(c))).error().message() ==
              "inner_sealed");
    }
}

TEST_CASE("seal: what the hub sends opens with the server-to-agent key, faults do not", "[seal]") {
    REQUIRE(sodium_init() >= 0);
    Vector v;
    SealChannel ch(v.schedule);
    const auto key = v.schedule.server_to_agent();
    const auto opens = [&](const SealedOut& out) -> std::optional<std::string> {
        auto doc = JsonDoc::parse(out.text);
        REQUIRE(doc);
        CHECK(get_str(doc->root(), "type") == "sealed");
        auto data = get_field(doc->root(), "data");
        REQUIRE(data);
        CHECK(get_int(*data, "n") == static_cast<int64_t>(out.n));
        auto c = b64url_decode(get_str(*data, "c").value_or(""));
        REQUIRE(c);
        return seal::decrypt(key, out.n, get_str(doc->root(), "id").value_or(""), *c);
    };
    const auto a = ch.seal(kWelcome);
    CHECK(a.n == 0);
    CHECK(opens(a) == std::string(kWelcome));
    CHECK(ch.last_sent() == a.text);
    const auto b = ch.seal(kPing);
    CHECK(b.n == 1);
    CHECK(opens(b) == std::string(kPing));

    const auto reused = ch.seal(kPing, SealFault::reuse_n);
    CHECK(reused.n == 1);
    CHECK(opens(reused) == std::string(kPing));  // valid, only the counter repeats
    CHECK(ch.seal(kPing, SealFault::tamper).n == 2);
    CHECK_FALSE(opens(ch.seal(kPing, SealFault::tamper)));
    CHECK_FALSE(opens(ch.seal(kPing, SealFault::wrong_id)));
    CHECK(ch.seal(kPing).n == 5);
}

TEST_CASE("seal: a low-order ephemeral key is refused", "[seal]") {
    REQUIRE(sodium_init() >= 0);
    Vector v;
    const seal::Key zero{};  // the identity point: every shared secret would be 0
    CHECK_FALSE(seal::derive(v.s, v.S, v.agent.A, zero));
    CHECK_FALSE(seal::derive(v.s, v.S, zero, v.agent.E));
}

TEST_CASE("seal: key files are base64url, mode 0600, and nothing else is read", "[seal]") {
    REQUIRE(sodium_init() >= 0);
    outpost::test_support::TempDir dir("hub-seal");
    const std::string path = dir.file("seal.key").string();
    const seal::Key key = counting_from(0x20);
    REQUIRE(seal::write_private_key_file(path, key));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto back = seal::read_private_key_file(path);
    REQUIRE(back);
    CHECK(*back == key);

    CHECK_FALSE(seal::read_private_key_file(dir.write("short.key", "AAAA\n").string()));
    CHECK_FALSE(seal::read_private_key_file(dir.file("missing.key").string()));
    CHECK(seal::key_from_b64url(b64url_encode(key)) == key);
    CHECK_FALSE(seal::key_from_b64url(b64url_encode(key) + "A"));
}

}  // namespace outpost::hub
