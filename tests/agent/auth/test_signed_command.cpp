#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "agent/auth/base64url.hpp"
#include "agent/auth/jws.hpp"
#include "agent/auth/signed_command.hpp"

using namespace outpost::auth;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kNode = "node-7";
constexpr std::int64_t kNowSeconds = 1'800'000'000;
const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(kNowSeconds)) + 300ms;
// journal.retention (7 days) less the clock skew, as the dispatcher passes it.
constexpr std::chrono::seconds kLifetime{7 * 24 * 3600 - 60};

struct ControlPlane {
    SecretKey key;
    PublicKey public_key;
};

ControlPlane make_control_plane() {
    auto key = SecretKey::generate();
    REQUIRE(key);
    const PublicKey public_key = key->public_key();
    return {std::move(*key), public_key};
}

std::string payload(std::string_view node, std::string_view exp) {
    return fmt::format(
        R"({{"type":"execute","id":"m1","ts":"2027-01-15T08:00:00Z","data":{{"request_id":"r1","command":"uptime","args":[]}},"node_id":"{}","exp":{}}})",
        node, exp);
}

std::string sign(const ControlPlane& cp, std::string_view body) {
    return sign_compact_jws(R"({"alg":"EdDSA","kid":"cp-1"})", body, cp.key);
}

SignedCommandError failure(const ControlPlane& cp, std::string_view jws) {
    auto result = verify_signed_command(jws, cp.public_key, kNode, kNow, kLifetime);
    REQUIRE_FALSE(result);
    INFO(result.error().message);
    CHECK_FALSE(result.error().message.empty());
    return result.error().code;
}

}  // namespace

TEST_CASE("a valid signed command yields its payload", "[signed]") {
    const ControlPlane cp = make_control_plane();
    const std::string body = payload(kNode, std::to_string(kNowSeconds + 300));
    auto result = verify_signed_command(sign(cp, body), cp.public_key, kNode, kNow, kLifetime);
    REQUIRE(result);
    CHECK(*result == body);
}

TEST_CASE("expiry allows 60 s of clock skew", "[signed]") {
    const ControlPlane cp = make_control_plane();
    const auto at = [&](std::int64_t offset) {
        return sign(cp, payload(kNode, std::to_string(kNowSeconds + offset)));
    };
    CHECK(verify_signed_command(at(0), cp.public_key, kNode, kNow, kLifetime));    // just now
    CHECK(verify_signed_command(at(-59), cp.public_key, kNode, kNow, kLifetime));  // within skew
    CHECK(failure(cp, at(-60)) == SignedCommandError::expired);
    CHECK(failure(cp, at(-61)) == SignedCommandError::expired);
    CHECK(failure(cp, at(-86400)) == SignedCommandError::expired);
}

TEST_CASE("an exp further ahead than the journal remembers request_ids counts as expired",
          "[signed]") {
    const ControlPlane cp = make_control_plane();
    const auto at = [&](std::int64_t offset) {
        return sign(cp, payload(kNode, std::to_string(kNowSeconds + offset)));
    };
    CHECK(verify_signed_command(at(kLifetime.count()), cp.public_key, kNode, kNow, kLifetime));
    CHECK(failure(cp, at(kLifetime.count() + 1)) == SignedCommandError::expired);
    CHECK(failure(cp, sign(cp, payload(kNode, "9223372036854775807"))) ==
          SignedCommandError::expired);
}

TEST_CASE("a command for another node counts as expired", "[signed]") {
    const ControlPlane cp = make_control_plane();
    const std::string exp = std::to_string(kNowSeconds + 300);
    CHECK(failure(cp, sign(cp, payload("node-8", exp))) == SignedCommandError::expired);
    CHECK(failure(cp, sign(cp, payload("", exp))) == SignedCommandError::expired);
    CHECK(failure(cp, sign(cp, payload("NODE-7", exp))) == SignedCommandError::expired);
}

TEST_CASE("malformed claims are a bad signature", "[signed]") {
    const ControlPlane cp = make_control_plane();
    const std::string exp = std::to_string(kNowSeconds + 300);
    for (const std::string& body : {
             payload(kNode, exp + ".0"),  // not an integer
             payload(kNode, "1.9e9"),
             payload(kNode, "\"" + exp + "\""),  // a string
             payload(kNode, "null"),
             payload(kNode, "18446744073709551615"),       // past int64
             fmt::format(R"({{"node_id":"{}"}})", kNode),  // no exp
             fmt::format(R"({{"exp":{}}})", exp),          // no node_id
             fmt::format(R"({{"node_id":7,"exp":{}}})", exp),
             fmt::format(R"({{"node_id":"{}","exp":{},"exp":1}})", kNode, exp),
             fmt::format(R"({{"node_id":"x","node_id":"{}","exp":{}}})", kNode, exp),
             std::string("[]"),
             std::string("not json"),
             std::string(""),
         }) {
        INFO(body);
        CHECK(failure(cp, sign(cp, body)) == SignedCommandError::bad_signature);
    }
}

TEST_CASE("signature problems are a bad signature", "[signed]") {
    const ControlPlane cp = make_control_plane();
    const ControlPlane attacker = make_control_plane();
    const std::string body = payload(kNode, std::to_string(kNowSeconds + 300));
    CHECK(failure(cp, sign(attacker, body)) == SignedCommandError::bad_signature);
    const std::string none = base64url_encode(std::string_view(R"({"alg":"none"})")) + "." +
                             base64url_encode(body) + ".";
    CHECK(failure(cp, none) == SignedCommandError::bad_signature);
    CHECK(failure(cp, sign_compact_jws(R"({"alg":"HS256"})", body, cp.key)) ==
          SignedCommandError::bad_signature);
    CHECK(failure(cp, "garbage") == SignedCommandError::bad_signature);
}

TEST_CASE("failure codes map to the protocol's error codes", "[signed]") {
    CHECK(protocol_error_code(SignedCommandError::bad_signature) == "bad_signature");
    CHECK(protocol_error_code(SignedCommandError::expired) == "expired");
}

TEST_CASE("check_signed_command_claims works on a payload alone", "[signed]") {
    CHECK(check_signed_command_claims(payload(kNode, std::to_string(kNowSeconds + 1)), kNode, kNow,
                                      kLifetime));
    auto expired = check_signed_command_claims(payload(kNode, "1"), kNode, kNow, kLifetime);
    REQUIRE_FALSE(expired);
    CHECK(expired.error().code == SignedCommandError::expired);
}
