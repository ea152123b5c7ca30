// libFuzzer target for /proc/net/dev: arbitrary bytes as the file (two
// readings split at the first 0xff byte). A parse either fails with a
// message or yields interfaces whose rates are absent or finite and ≥ 0.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/net_dev_parse.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t split = input.find('\xff');
    auto before = outpost::collectors::parse_net_dev(input.substr(0, split));
    auto after = outpost::collectors::parse_net_dev(
        split == std::string_view::npos ? input : input.substr(split + 1));
    if (!after) {
        require(!after.error().message().empty());
        return 0;
    }
    const auto rates =
        outpost::collectors::network_rates(before ? &*before : nullptr, *after, 0.5, 64);
    require(rates.size() <= 64);
    for (const auto& interface : rates) {
        require(interface.interface != "lo");
        if (!interface.per_second) continue;
        const auto& r = *interface.per_second;
        for (double rate : {r.rx_bytes, r.tx_bytes, r.rx_packets, r.tx_packets, r.rx_errors,
                            r.tx_errors, r.rx_drops, r.tx_drops}) {
            require(std::isfinite(rate) && rate >= 0.0);
        }
    }
    return 0;
}
