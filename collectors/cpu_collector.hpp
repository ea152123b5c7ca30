#pragma once
// `cpu`: busy shares from two readings of <proc>/stat (cpu_parse.hpp).

#include <optional>

#include "collectors/collector.hpp"
#include "collectors/cpu_parse.hpp"

namespace outpost::collectors {

class CpuCollector final : public Collector {
  public:
    explicit CpuCollector(Roots roots) : roots_(std::move(roots)) {}
    [[nodiscard]] std::string_view name() const override { return "cpu"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

  private:
    Roots roots_;
    std::optional<ProcStat> previous_;  // the last good reading
};

}  // namespace outpost::collectors
