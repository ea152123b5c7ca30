#pragma once
// /proc/net/dev and per-second rates between two readings of it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::collectors {

struct InterfaceCounters {
    std::string name;
    std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_drops = 0;
    std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_drops = 0;
};

// Every interface line ("  eth0: 16 numbers"), in file order; the two header
// lines are skipped. A line with fewer than 16 numbers, or one that is not a
// number, is an error.
[[nodiscard]] Expected<std::vector<InterfaceCounters>> parse_net_dev(std::string_view text);

// One NetworkStats per interface of `current` but `lo`, at most
// `max_interfaces`. Rates are per second over `seconds`; an interface new
// since `previous`, or any of whose counters went backwards (a 32-bit
// counter wrapped, a driver reset, the interface was re-created), has no
// rates for this sample rather than a huge or negative one.
[[nodiscard]] std::vector<protocol::outbound::NetworkStats> network_rates(
    const std::vector<InterfaceCounters>* previous, const std::vector<InterfaceCounters>& current,
    double seconds, std::size_t max_interfaces);

}  // namespace outpost::collectors
