#pragma once
// One source of telemetry (a /proc file, statvfs, the Docker socket) behind
// one small interface. Collectors are listed in one explicit table
// (registry.hpp); none registers itself.
//
// Threading: collect() runs on the collection thread, never on the service
// loop (docs/telemetry.md): reading /proc of 100 000 processes takes tens of
// milliseconds, and statvfs on a hung NFS mount or a stuck Docker socket can
// take forever. Even there, a collector must return by `deadline`: a source
// that can hang is read with non-blocking I/O and a timeout, or (statvfs,
// which has no timeout) on a helper thread it stops waiting for.
//
// A collector keeps what it needs between samples (the previous /proc/stat
// counters for CPU shares, the previous /proc/net/dev counters for rates);
// on the first call there is nothing to compare with and the derived values
// stay absent (see agent/protocol/telemetry.hpp).

#include <chrono>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::collectors {

// Where the pseudo file systems are: "/proc" and "/sys" on a live host, a
// saved snapshot's directories in tests.
struct Roots {
    std::string proc = "/proc";
    std::string sys = "/sys";
};

struct CollectRequest {
    std::chrono::steady_clock::time_point now;       // the sample's monotonic time
    std::chrono::steady_clock::time_point deadline;  // return by then, whatever the source does
};

// What one collect() did. An Error instead means the source exists and could
// not be read; the sample then carries a CollectorProblem{failed} for it and
// the other collectors' values.
struct Collected {
    // The source does not exist on this host (no Docker socket, no
    // /proc/pressure): a CollectorProblem{skipped} with `why`, not an error.
    bool skipped = false;
    std::string why;
    // The values were written, but something about them is worth saying: a
    // fallback (no MemAvailable), a capped list (more than 256 disks), a part
    // that could not be read (one PSI file). Empty when there is nothing to
    // say. The pipeline shows it in status and in the sample's `collectors`.
    std::string note;
};

class Collector {
  public:
    virtual ~Collector() = default;
    // The name in config (`collectors.<name>`), status and the sample.
    [[nodiscard]] virtual std::string_view name() const = 0;
    // Writes this collector's part of `sample` (and only that part).
    [[nodiscard]] virtual Expected<Collected> collect(const CollectRequest& request,
                                                      protocol::outbound::Telemetry& sample) = 0;
};

}  // namespace outpost::collectors
