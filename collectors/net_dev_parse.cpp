#include "collectors/net_dev_parse.hpp"

#include <array>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

using protocol::outbound::NetworkRates;
using protocol::outbound::NetworkStats;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// nullopt when a counter went backwards.
std::optional<NetworkRates> rates(const InterfaceCounters& a, const InterfaceCounters& b,
                                  double seconds) {
    const std::array<std::pair<std::uint64_t, std::uint64_t>, 8> pairs{{
        {a.rx_bytes, b.rx_bytes},
        {a.tx_bytes, b.tx_bytes},
        {a.rx_packets, b.rx_packets},
        {a.tx_packets, b.tx_packets},
        {a.rx_errors, b.rx_errors},
        {a.tx_errors, b.tx_errors},
        {a.rx_drops, b.rx_drops},
        {a.tx_drops, b.tx_drops},
    }};
    std::array<double, 8> per_second{};
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (pairs[i].second < pairs[i].first) return std::nullopt;
        per_second[i] = static_cast<double>(pairs[i].second - pairs[i].first) / seconds;
    }
    return NetworkRates{per_second[0], per_second[1], per_second[2], per_second[3],
                        per_second[4], per_second[5], per_second[6], per_second[7]};
}

}  // namespace

Expected<std::vector<InterfaceCounters>> parse_net_dev(std::string_view text) {
    std::vector<InterfaceCounters> interfaces;
    while (!text.empty()) {
        const std::string_view line = next_line(text);
        const std::size_t colon = line.find(':');
        // The two header lines have '|' and no ':'.
        if (colon == std::string_view::npos) continue;
        const std::string_view name = trim(line.substr(0, colon));
        std::string_view rest = line.substr(colon + 1);
        std::array<std::uint64_t, 16> values{};
        for (auto& value : values) {
            const auto parsed = parse_u64(next_field(rest));
            if (!parsed || name.empty()) {
                return fail(
                    ErrorKind::invalid_input,
                    "malformed /proc/net/dev line `" + printable_ascii(line.substr(0, 80)) + "`");
            }
            value = *parsed;
        }
        if (interfaces.size() >= 65536) {
            return fail(ErrorKind::invalid_input, "/proc/net/dev lists more than 65536 interfaces");
        }
        // Receive: bytes packets errs drop fifo frame compressed multicast;
        // transmit: bytes packets errs drop fifo colls carrier compressed.
        interfaces.push_back(InterfaceCounters{printable_ascii(name), values[0], values[1],
                                               values[2], values[3], values[8], values[9],
                                               values[10], values[11]});
    }
    return interfaces;
}

std::vector<NetworkStats> network_rates(const std::vector<InterfaceCounters>* previous,
                                        const std::vector<InterfaceCounters>& current,
                                        double seconds, std::size_t max_interfaces) {
    std::vector<NetworkStats> out;
    for (std::size_t i = 0; i < current.size(); ++i) {
        const InterfaceCounters& now = current[i];
        if (now.name == "lo") continue;
        if (out.size() >= max_interfaces) break;
        NetworkStats stats;
        stats.interface = now.name;
        if (previous != nullptr && seconds > 0) {
            // Interfaces keep their order between readings, so the same
            // position is tried first and the search is rarely needed.
            const InterfaceCounters* before = nullptr;
            if (i < previous->size() && (*previous)[i].name == now.name) {
                before = &(*previous)[i];
            } else {
                for (const InterfaceCounters& candidate : *previous) {
                    if (candidate.name == now.name) {
                        before = &candidate;
                        break;
                    }
                }
            }
            if (before != nullptr) stats.per_second = rates(*before, now, seconds);
        }
        out.push_back(std::move(stats));
    }
    return out;
}

}  // namespace outpost::collectors
