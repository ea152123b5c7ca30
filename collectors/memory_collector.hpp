#pragma once
// `memory`: <proc>/meminfo, plus PSI from <proc>/pressure when the kernel
// has it (memory_parse.hpp).

#include "collectors/collector.hpp"

namespace outpost::collectors {

class MemoryCollector final : public Collector {
  public:
    explicit MemoryCollector(Roots roots) : roots_(std::move(roots)) {}
    [[nodiscard]] std::string_view name() const override { return "memory"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

  private:
    Roots roots_;
};

}  // namespace outpost::collectors
