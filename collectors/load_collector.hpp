#pragma once
// `load` (<proc>/loadavg) and `uptime` (<proc>/uptime): one line each.

#include <cstdint>
#include <string_view>

#include "collectors/collector.hpp"

namespace outpost::collectors {

// "0.52 0.58 0.59 2/611 12345": the first three numbers.
[[nodiscard]] Expected<protocol::outbound::LoadAverage> parse_loadavg(std::string_view text);

// "12345.67 23456.78": whole seconds since boot (the first number).
[[nodiscard]] Expected<std::uint64_t> parse_uptime(std::string_view text);

class LoadCollector final : public Collector {
  public:
    explicit LoadCollector(Roots roots) : roots_(std::move(roots)) {}
    [[nodiscard]] std::string_view name() const override { return "load"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

  private:
    Roots roots_;
};

class UptimeCollector final : public Collector {
  public:
    explicit UptimeCollector(Roots roots) : roots_(std::move(roots)) {}
    [[nodiscard]] std::string_view name() const override { return "uptime"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

  private:
    Roots roots_;
};

}  // namespace outpost::collectors
