#include "collectors/load_collector.hpp"

#include <cmath>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {

Expected<protocol::outbound::LoadAverage> parse_loadavg(std::string_view text) {
    const std::string_view line = next_line(text);
    std::string_view rest = line;
    double values[3] = {};
    for (double& value : values) {
        const auto parsed = parse_decimal(next_field(rest));
        // A load of a million runnable tasks is not a reading, it is garbage.
        if (!parsed || *parsed > 1e6) {
            return fail(ErrorKind::invalid_input,
                        "malformed /proc/loadavg `" + printable_ascii(line.substr(0, 80)) + "`");
        }
        value = *parsed;
    }
    return protocol::outbound::LoadAverage{values[0], values[1], values[2]};
}

Expected<std::uint64_t> parse_uptime(std::string_view text) {
    std::string_view rest = next_line(text);
    const auto seconds = parse_decimal(next_field(rest));
    // 2^53 s is far beyond any machine's life and still exact in a double.
    if (!seconds || *seconds > 9.0e15) {
        return fail(ErrorKind::invalid_input, "malformed /proc/uptime");
    }
    return static_cast<std::uint64_t>(std::floor(*seconds));
}

Expected<Collected> LoadCollector::collect(const CollectRequest& /*request*/,
                                           protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/loadavg", 4096);
    if (!text) return std::unexpected(text.error());
    auto load = parse_loadavg(*text);
    if (!load) return std::unexpected(load.error());
    sample.system.load = *load;
    return Collected{};
}

Expected<Collected> UptimeCollector::collect(const CollectRequest& /*request*/,
                                             protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/uptime", 4096);
    if (!text) return std::unexpected(text.error());
    auto uptime = parse_uptime(*text);
    if (!uptime) return std::unexpected(uptime.error());
    sample.system.uptime_s = *uptime;
    return Collected{};
}

}  // namespace outpost::collectors
