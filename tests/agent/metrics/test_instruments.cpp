// outpost_reconnects_total's label comes from a fixed vocabulary, never from
// text the server or an intermediary chose (review 16): driven through the
// real SessionPolicy, whose snapshots the agent feeds to the instruments.
#include <catch2/catch.hpp>

#include <string>

#include "agent/metrics/instruments.hpp"
#include "tests/agent/session/fakes.hpp"

using namespace outpost;
using namespace outpost::session::testing;

namespace {

// Connects, comes online and feeds each state change to the instruments.
void go_online(Harness& h, metrics::Instruments& instruments) {
    h.go_online();
    instruments.on_connection_state(h.policy.snapshot());
}

}  // namespace

TEST_CASE("metrics: 100 distinct seal refusal texts give one reconnect label", "[metrics]") {
    Harness h;
    metrics::Instruments instruments;
    for (int i = 0; i < 100; ++i) {
        go_online(h, instruments);
        // What an intermediary without the key can vary at will: the type
        // named in "unsealed `<type>` from the server".
        (void)h.policy.on_seal_failure(
            "unsealed", "seal: unsealed `t" + std::to_string(i) + "` from the server");
        instruments.on_connection_state(h.policy.snapshot());
    }
    REQUIRE(instruments.reconnects.size() == 1);
    CHECK(instruments.reconnects.begin()->first == "seal_unsealed");
    CHECK(instruments.reconnects.begin()->second == 100);
}

TEST_CASE("metrics: close codes and HTTP statuses outside the protocol's share one label",
          "[metrics]") {
    Harness h;
    metrics::Instruments instruments;
    for (int code = 4100; code < 4150; ++code) {
        go_online(h, instruments);
        (void)h.policy.on_peer_close(code, "reason " + std::to_string(code));
        instruments.on_connection_state(h.policy.snapshot());
    }
    go_online(h, instruments);
    (void)h.policy.on_peer_close(4005, "");
    instruments.on_connection_state(h.policy.snapshot());
    CHECK(instruments.reconnects.size() == 2);
    CHECK(instruments.reconnects.at("close_other") == 50);
    CHECK(instruments.reconnects.at("close_4005") == 1);

    for (const int status : {418, 500, 502, 503}) {
        session::LastError error{"upgrade refused", "", {}, "http_" + std::to_string(status)};
        CAPTURE(status);
        CHECK(metrics::reconnect_reason(error) == (status == 503 ? "http_503" : "http_other"));
    }
    CHECK(metrics::reconnect_reason(std::nullopt) == "unknown");
    CHECK(metrics::reconnect_reason(session::LastError{"x", "", {}, "made up"}) == "other");
}

TEST_CASE("metrics: each session error kind is a reconnect label of its own", "[metrics]") {
    Harness h;
    metrics::Instruments instruments;
    (void)h.policy.on_connect_attempt();
    (void)h.policy.on_transport_failure("connection refused: something the OS said");
    instruments.on_connection_state(h.policy.snapshot());
    CHECK(instruments.reconnects.count("connection_failed") == 1);
}
