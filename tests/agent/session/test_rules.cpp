// The §1 and §6 tables as data, and Retry-After parsing.
#include <catch2/catch.hpp>

#include "agent/session/rules.hpp"

using namespace outpost::session;
using namespace std::chrono_literals;

TEST_CASE("§6 close code table") {
    CHECK(reaction_to_close(1000) == Reaction::backoff);
    CHECK(reaction_to_close(1001) == Reaction::spread);
    CHECK(reaction_to_close(1008) == Reaction::backoff);
    CHECK(reaction_to_close(1009) == Reaction::backoff);
    CHECK(reaction_to_close(1011) == Reaction::backoff);
    CHECK(reaction_to_close(4000) == Reaction::backoff);
    CHECK(reaction_to_close(4001) == Reaction::refresh_now);
    CHECK(reaction_to_close(4002) == Reaction::backoff);
    CHECK(reaction_to_close(4003) == Reaction::revoked);
    CHECK(reaction_to_close(4004) == Reaction::incompatible);
    CHECK(reaction_to_close(4005) == Reaction::backoff_half_max);
    CHECK(reaction_to_close(4006) == Reaction::backoff_rate_limited);
    CHECK(reaction_to_close(4007) == Reaction::reconnect_requested);
}

TEST_CASE("unknown close codes back off") {
    const int code = GENERATE(0, -1, 999, 1002, 1005, 1006, 2999, 3000, 4008, 4999, 65535);
    CAPTURE(code);
    CHECK(reaction_to_close(code) == Reaction::backoff);
}

TEST_CASE("§1 upgrade status table") {
    CHECK(reaction_to_upgrade_status(401) == Reaction::refresh_once);
    CHECK(reaction_to_upgrade_status(403) == Reaction::revoked);
    CHECK(reaction_to_upgrade_status(426) == Reaction::incompatible);
    CHECK(reaction_to_upgrade_status(400) == Reaction::incompatible);
    CHECK(reaction_to_upgrade_status(429) == Reaction::backoff_honour_retry);
    CHECK(reaction_to_upgrade_status(503) == Reaction::backoff_honour_retry);
    const int other = GENERATE(200, 301, 404, 407, 500, 502, 504);
    CAPTURE(other);
    CHECK(reaction_to_upgrade_status(other) == Reaction::backoff);
}

TEST_CASE("Retry-After delta-seconds parse") {
    CHECK(parse_retry_after("120") == 120s);
    CHECK(parse_retry_after("0") == 0s);
    CHECK(parse_retry_after(" 5\t") == 5s);
    CHECK(parse_retry_after("99999999999") == std::chrono::seconds{4294967295});
}

TEST_CASE("Retry-After forms we do not take") {
    const char* value =
        GENERATE("", " ", "-5", "+5", "1.5", "5s", "abc", "Wed, 21 Oct 2015 07:28:00 GMT");
    CAPTURE(value);
    CHECK_FALSE(parse_retry_after(value).has_value());
}

TEST_CASE("reaction names") {
    CHECK(to_string(Reaction::refresh_now) == "refresh_now");
    CHECK(to_string(Reaction::backoff_half_max) == "backoff_half_max");
}
