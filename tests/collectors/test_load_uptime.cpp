// load and uptime: one line each, from saved snapshots and odd input.
#include <catch2/catch.hpp>

#include "collectors/load_collector.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;

TEST_CASE("load and uptime of the saved snapshots") {
    struct Case {
        std::string host;
        double load1, load5, load15;
        std::uint64_t uptime;
    };
    for (const Case& c : {Case{"live-2cpu", 8.34, 4.68, 2.92, 11119},
                          Case{"many-core-64", 41.87, 38.12, 35.90, 8812345},
                          Case{"old-kernel", 0.08, 0.03, 0.01, 31557600}}) {
        INFO(c.host);
        outpost::protocol::outbound::Telemetry sample;
        LoadCollector load(snapshot_roots(c.host));
        UptimeCollector uptime(snapshot_roots(c.host));
        REQUIRE(load.collect(request_now(), sample));
        REQUIRE(uptime.collect(request_now(), sample));
        REQUIRE(sample.system.load);
        CHECK(sample.system.load->load1 == Approx(c.load1));
        CHECK(sample.system.load->load5 == Approx(c.load5));
        CHECK(sample.system.load->load15 == Approx(c.load15));
        CHECK(sample.system.uptime_s == c.uptime);
    }
}

TEST_CASE("odd loadavg and uptime text is an error") {
    CHECK_FALSE(parse_loadavg(""));
    CHECK(parse_loadavg("0.52 0.58\n").error().message() == "malformed /proc/loadavg `0.52 0.58`");
    CHECK_FALSE(parse_loadavg("0.52 -0.58 0.59 1/2 3\n"));
    CHECK_FALSE(parse_loadavg("nan inf 1e5 1/2 3\n"));
    CHECK_FALSE(parse_loadavg("99999999999 1 1 1/2 3\n"));
    CHECK(parse_loadavg("0.52 0.58 0.59\n"));  // the rest is not needed
    CHECK_FALSE(parse_uptime(""));
    CHECK_FALSE(parse_uptime("-5.00 1.00\n"));
    CHECK_FALSE(parse_uptime("1e400 1\n"));
    CHECK(parse_uptime("12.99 1\n") == 12u);
}
