#pragma once
// Metric paths (docs/configuration.md, "alerts"): where in a `telemetry`
// sample an alert rule reads its number. A path names the JSON fields of the
// encoded sample (protocol.md §3.2), dot-separated; a list is entered with a
// selector:
//
//   system.cpu.usage_percent              one value, no subject
//   system.disks[mount=/].used_percent    the list item whose `mount` is `/`
//   system.disks[*].used_percent          every item: one subject per disk
//   containers[name=web].restarts
//   system.cpu.per_core_percent[*]        a list of numbers: subject `[i]`
//
// A path is parsed once, when the config is loaded (parse_metric_path), and
// checked against the shape of a sample (check_metric_path): a typo or a
// path that ends on text or on a section is a config error, never a silent
// gap at run time.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::alerts {

// What a list selector picks.
struct Selector {
    enum class Kind { every, match } kind = Kind::every;
    std::string key;    // match: the item member compared, e.g. `mount`
    std::string value;  // match: its text, e.g. `/` (compared as text)
};

// One dot-separated step: a member name, optionally entering a list.
struct PathStep {
    std::string member;
    std::optional<Selector> selector;
};

struct MetricPath {
    std::string text;  // as written in the config
    std::vector<PathStep> steps;
};

// Longest path accepted; real ones are under 60 bytes.
inline constexpr std::size_t kMaxMetricPathBytes = 256;

// Syntax only (invalid_input, saying where): members are [a-z0-9_]+; a
// selector is `[*]` or `[key=value]` where the value is 1..128 bytes of
// anything but `]` and control characters.
[[nodiscard]] Expected<MetricPath> parse_metric_path(std::string_view text);

// Syntax and shape: the path must lead, through a sample in which every
// optional section is present and every list has an item, to a number.
// The error names the first step that does not fit and what was there.
[[nodiscard]] Expected<MetricPath> check_metric_path(std::string_view text);

}  // namespace outpost::alerts
