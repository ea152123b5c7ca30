#pragma once
// Resolving a metric path (metric_path.hpp) in one encoded sample: the
// (subject, value) pairs it selects. The sample is walked as the JSON the
// server receives, so a path means exactly what its names say on the wire.

#include <optional>
#include <string>
#include <vector>

#include "agent/alerts/metric_path.hpp"
#include "agent/common/json/json_reader.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::alerts {

// One subject of a path in one sample. `subject` is empty for a path
// without selectors, else one `key=value` per selector joined by ", "
// (e.g. `mount=/`); a wildcard item is named by its first identifying member
// (mount, interface, name, id, pid) or by its index (`[3]`). `value` absent
// is a gap: the subject is known but has no number in this sample (a rate on
// the first sample, a disk whose statvfs failed).
struct Reading {
    std::string subject;
    std::optional<double> value;
    bool operator==(const Reading&) const = default;
};

// A sample encoded once for every rule to read.
class EncodedSample {
  public:
    [[nodiscard]] static Expected<EncodedSample> of(const protocol::outbound::Telemetry& sample);
    [[nodiscard]] json::Value root() const { return document_.root(); }

  private:
    explicit EncodedSample(json::Document document) : document_(std::move(document)) {}
    json::Document document_;
};

// Every subject the path selects in `root` (a `telemetry` data object). A
// path without wildcards always yields exactly one reading (a gap when the
// value or the selected item is missing); a wildcard yields one per item,
// none when the list is empty or absent.
[[nodiscard]] std::vector<Reading> resolve(const MetricPath& path, const json::Value& root);

// The shape check behind check_metric_path: empty when the path leads to a
// number in `root`, else why not ("`system.cpu.usge_percent`: no member
// `usge_percent` (members: usage_percent, user_percent, …)").
[[nodiscard]] std::string shape_problem(const MetricPath& path, const json::Value& root);

// A sample with every optional section present and one item in every list:
// the shape metric paths are checked against.
[[nodiscard]] protocol::outbound::Telemetry reference_sample();

}  // namespace outpost::alerts
