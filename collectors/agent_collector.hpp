#pragma once
// `agent`: this process's own RSS, CPU seconds, uptime and open fds, from
// <proc>/self. The parts the service loop owns (outbox, journal, commands
// running, version) are filled by the telemetry pipeline, not here.

#include "collectors/collector.hpp"

namespace outpost::collectors {

class AgentCollector final : public Collector {
  public:
    explicit AgentCollector(Roots roots);
    [[nodiscard]] std::string_view name() const override { return "agent"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

  private:
    Roots roots_;
    double ticks_per_second_;
    std::uint64_t page_size_;
};

}  // namespace outpost::collectors
