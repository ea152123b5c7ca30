#pragma once
// `network`: per-interface rates from two readings of <proc>/net/dev
// (net_dev_parse.hpp), `lo` excluded.

#include <optional>
#include <vector>

#include "collectors/collector.hpp"
#include "collectors/net_dev_parse.hpp"

namespace outpost::collectors {

class NetworkCollector final : public Collector {
  public:
    // A host with thousands of veth interfaces must not make the sample huge.
    static constexpr std::size_t kMaxInterfaces = 256;

    explicit NetworkCollector(Roots roots) : roots_(std::move(roots)) {}
    [[nodiscard]] std::string_view name() const override { return "network"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

  private:
    Roots roots_;
    std::vector<InterfaceCounters> previous_;
    std::optional<std::chrono::steady_clock::time_point> previous_at_;
};

}  // namespace outpost::collectors
