#pragma once
// `disks`: statvfs of the real file systems listed in <proc>/self/mountinfo
// (mountinfo_parse.hpp chooses them), on a helper thread with a deadline
// (statvfs_runner.hpp), so a hung NFS mount costs one stuck thread and an
// `error` on its DiskStats, never a stalled collection.

#include <sys/statvfs.h>

#include "collectors/collector.hpp"
#include "collectors/settings.hpp"
#include "collectors/statvfs_runner.hpp"

namespace outpost::collectors {

// df's figures from one statvfs: used % of what a non-root user can use
// (used / (used + available)), inodes used %. Products that overflow 64 bits
// (a garbage answer) saturate.
[[nodiscard]] protocol::outbound::DiskStats disk_figures(const struct statvfs& stats);

class DisksCollector final : public Collector {
  public:
    static constexpr std::size_t kMaxDisks = 256;

    DisksCollector(DisksSettings settings, Roots roots,
                   StatvfsFunction statvfs_function = &::statvfs);
    [[nodiscard]] std::string_view name() const override { return "disks"; }
    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override;
    [[nodiscard]] const StatvfsRunner& runner() const { return runner_; }

  private:
    DisksSettings settings_;
    Roots roots_;
    StatvfsRunner runner_;
};

}  // namespace outpost::collectors
