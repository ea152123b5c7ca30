#pragma once
// The agent's metric set (docs/metrics.md lists every one): made from the
// same StatusReport `outpost status` shows, plus the counters and histograms
// only the metrics keep (instruments.hpp) and the standard process_* set.
// Served by `outpost metrics` (the status socket), the textfile for
// node_exporter and the optional loopback HTTP endpoint; all three serve
// exactly this text.

#include <optional>
#include <string>

#include "agent/metrics/instruments.hpp"
#include "agent/metrics/process_stats.hpp"
#include "agent/status/report.hpp"

namespace outpost::metrics {

struct MetricsInput {
    const status::StatusReport& report;
    const Instruments* instruments = nullptr;  // null: those families are left out
    std::optional<ProcessStats> process;       // nullopt: no process_* metrics
    // The journal's files (database and WAL), bytes; nullopt when unreadable.
    std::optional<std::uint64_t> journal_bytes;
};

// Prometheus text exposition format 0.0.4.
[[nodiscard]] std::string render_agent_metrics(const MetricsInput& input);

// The journal database plus its -wal and -shm files, bytes.
[[nodiscard]] std::optional<std::uint64_t> journal_file_bytes(const std::string& path);

}  // namespace outpost::metrics
