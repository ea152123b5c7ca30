#include "collectors/cpu_collector.hpp"

#include "collectors/proc_text.hpp"

namespace outpost::collectors {

Expected<Collected> CpuCollector::collect(const CollectRequest& /*request*/,
                                          protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/stat");
    if (!text) return std::unexpected(text.error());
    auto current = parse_proc_stat(*text);
    if (!current) return std::unexpected(current.error());
    sample.system.cpu = cpu_shares(previous_ ? &*previous_ : nullptr, *current);
    previous_ = std::move(*current);
    return Collected{};
}

}  // namespace outpost::collectors
