#pragma once
// `processes`: one walk over <proc>/[0-9]*/stat per sample: counts by state,
// threads, and the top N by CPU (utime+stime since the previous sample, per
// pid and start time, so a reused pid is a new process) and by RSS. The user
// is read (from <pid>/status) only for the few processes that make a top
// list. Built for 100 000 processes: no allocation per process but the one
// entry it adds to this sample's CPU table.

#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.hpp"
#include "collectors/settings.hpp"
#include "collectors/user_names.hpp"

namespace outpost::collectors {

class ProcessesCollector final : public Collector {
  public:
    static constexpr std::uint32_t kMaxTop = 100;

    ProcessesCollector(ProcessesSettings settings, Roots roots);
    [[nodiscard]] std::string_view name() const override { return "processes"; }
    // top_cpu is empty on the first sample (nothing to compare with); its
    // cpu_percent is of one core, like top's (a process with 4 busy threads
    // shows 400).
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;

    // CPU ticks of one process as last seen, sorted by pid.
    struct Seen {
        std::int64_t pid = 0;
        std::uint64_t starttime = 0;
        std::uint64_t ticks = 0;
    };

  private:
    // The real uid's name, from <pid>/status; "?" when it cannot be read.
    [[nodiscard]] std::string user_of(std::int64_t pid);

    ProcessesSettings settings_;
    Roots roots_;
    std::vector<Seen> previous_;
    std::vector<Seen> current_;  // kept to reuse its capacity
    std::optional<std::chrono::steady_clock::time_point> previous_at_;
    UserNames users_;
    std::string buffer_;
    double ticks_per_second_;
    std::uint64_t page_size_;
};

}  // namespace outpost::collectors
