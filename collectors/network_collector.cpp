#include "collectors/network_collector.hpp"

#include "collectors/proc_text.hpp"

namespace outpost::collectors {

Expected<Collected> NetworkCollector::collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/net/dev", 4 << 20);
    if (!text) return std::unexpected(text.error());
    auto current = parse_net_dev(*text);
    if (!current) return std::unexpected(current.error());
    double seconds = 0;
    if (previous_at_) {
        seconds = std::chrono::duration<double>(request.now - *previous_at_).count();
    }
    sample.system.network =
        network_rates(previous_at_ ? &previous_ : nullptr, *current, seconds, kMaxInterfaces);
    Collected collected;
    std::size_t listed = 0;
    for (const auto& interface : *current) listed += interface.name == "lo" ? 0 : 1;
    if (listed > kMaxInterfaces) {
        collected.note = "network: " + std::to_string(listed) + " interfaces, the first " +
                         std::to_string(kMaxInterfaces) + " are sent";
    }
    previous_ = std::move(*current);
    previous_at_ = request.now;
    return collected;
}

}  // namespace outpost::collectors
