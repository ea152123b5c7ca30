// network: /proc/net/dev rates between two saved readings, wraps, odd input.
#include <catch2/catch.hpp>

#include "collectors/net_dev_parse.hpp"
#include "collectors/network_collector.hpp"
#include "collectors/proc_text.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;
using outpost::protocol::outbound::NetworkStats;

namespace {

// The rates between a snapshot's two readings, `seconds` apart.
std::vector<NetworkStats> rates_of(const std::string& host, std::chrono::seconds seconds) {
    auto text1 = read_proc_file(snapshot_proc(host, 1) + "/net/dev");
    auto text2 = read_proc_file(snapshot_proc(host, 2) + "/net/dev");
    REQUIRE(text1);
    REQUIRE(text2);
    auto before = parse_net_dev(*text1);
    auto after = parse_net_dev(*text2);
    REQUIRE(before);
    REQUIRE(after);
    return network_rates(&*before, *after, std::chrono::duration<double>(seconds).count(), 256);
}

const NetworkStats& find(const std::vector<NetworkStats>& list, const std::string& name) {
    for (const auto& item : list) {
        if (item.interface == name) return item;
    }
    FAIL("no interface " << name);
    return list.front();
}

}  // namespace

TEST_CASE("network rates of a host with bonds, veths, a wrapped counter and a new interface") {
    const auto rates = rates_of("many-core-64", std::chrono::seconds(10));
    REQUIRE(rates.size() == 12);  // 13 interfaces but lo
    for (const auto& item : rates) CHECK(item.interface != "lo");
    const auto& eno1 = find(rates, "eno1");
    REQUIRE(eno1.per_second);
    CHECK(eno1.per_second->rx_bytes == Approx(5844593.9));
    CHECK(eno1.per_second->tx_bytes == Approx(6512824.7));
    CHECK(eno1.per_second->rx_packets == Approx(7495.2));
    CHECK(eno1.per_second->tx_packets == Approx(7081.5));
    CHECK(eno1.per_second->rx_errors == Approx(0.2));
    CHECK(eno1.per_second->tx_errors == Approx(0.3));
    CHECK(eno1.per_second->rx_drops == Approx(0.1));
    CHECK(eno1.per_second->tx_drops == Approx(0.7));
    const auto& bond0 = find(rates, "bond0");
    REQUIRE(bond0.per_second);
    CHECK(bond0.per_second->rx_bytes == Approx(6696948.5));
    CHECK(bond0.per_second->tx_packets == Approx(2588.7));
    // eth1's rx_bytes went from ~10^11 back to 12345: no rate, not 1.8e18/s.
    CHECK_FALSE(find(rates, "eth1").per_second);
    // wg0 appeared between the readings: nothing to compare with yet.
    CHECK_FALSE(find(rates, "wg0").per_second);
}

TEST_CASE("network rates of this machine's two saved readings") {
    const auto rates = rates_of("live-2cpu", std::chrono::seconds(2));
    REQUIRE(rates.size() == 3);  // ifb0, ifb1, eth0
    const auto& eth0 = find(rates, "eth0");
    REQUIRE(eth0.per_second);
    CHECK(eth0.per_second->rx_bytes == Approx(0.0));
    CHECK(eth0.per_second->tx_packets == Approx(0.0));
}

TEST_CASE("the network collector gives rates from its second call on") {
    NetworkCollector collector(Roots{"/proc", "/sys"});
    const auto t0 = std::chrono::steady_clock::now();
    outpost::protocol::outbound::Telemetry first, second;
    REQUIRE(collector.collect(request_at(t0), first));
    REQUIRE(collector.collect(request_at(t0 + std::chrono::seconds(1)), second));
    for (const auto& item : second.system.network) {
        INFO(item.interface);
        CHECK(item.interface != "lo");
        REQUIRE(item.per_second);
        CHECK(item.per_second->rx_bytes >= 0);
        CHECK(item.per_second->tx_bytes >= 0);
    }
}

TEST_CASE("the network list is capped") {
    std::string text = "Inter-|\n face |\n";
    for (int i = 0; i < 300; ++i) {
        text += "veth" + std::to_string(i) + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
    }
    auto parsed = parse_net_dev(text);
    REQUIRE(parsed);
    CHECK(parsed->size() == 300);
    CHECK(network_rates(nullptr, *parsed, 0, 256).size() == 256);
}

TEST_CASE("odd /proc/net/dev text is an error") {
    auto parsed = parse_net_dev("");
    REQUIRE(parsed);
    CHECK(parsed->empty());
    CHECK(parse_net_dev("eth0: 1 2 3\n").error().message() ==
          "malformed /proc/net/dev line `eth0: 1 2 3`");
    CHECK_FALSE(parse_net_dev("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n"));
    CHECK_FALSE(parse_net_dev(": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"));
    // No space after the colon: how the kernel prints a huge first counter.
    auto tight = parse_net_dev("eth0:123456789012 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
    REQUIRE(tight);
    CHECK((*tight)[0].rx_bytes == 123456789012u);
    CHECK((*tight)[0].tx_bytes == 9u);
}
