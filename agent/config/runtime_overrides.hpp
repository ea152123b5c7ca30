#pragma once
// Runtime changes (protocol.md §3.3 `config_update`): the few keys the control
// plane may change while the agent runs, validated by the same schema rows as
// the file (same syntax, ranges and messages), kept as a set of overrides that
// is persisted and applied over the file's Config at every start.
//
// The JSON is shaped like the YAML file: `{"telemetry": {"interval": "30s"}}`,
// every value a JSON string in the file's syntax. Parsing is all-or-nothing:
// one bad key or value and nothing of the update is returned.

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"

namespace outpost::config {

// The keys changeable at runtime; unset = the file's value applies.
struct RuntimeOverrides {
    std::optional<Duration> telemetry_interval;  // telemetry.interval
    std::optional<Duration> health_interval;     // health.interval
    std::optional<LogLevel> logging_level;       // logging.level
    std::optional<AlertsConfig> alerts;          // alerts: the whole list (runtime_alerts.hpp)

    [[nodiscard]] bool empty() const {
        return !telemetry_interval && !health_interval && !logging_level && !alerts;
    }
    bool operator==(const RuntimeOverrides&) const = default;
};

// The journal key (agent state) the agent persists the overrides under.
inline constexpr std::string_view kRuntimeOverridesKey = "runtime_overrides";

// `telemetry.interval`, `health.interval`, `logging.level` (schema order);
// `alerts`, a list replaced as a whole, is handled beside them.
[[nodiscard]] std::vector<std::string> runtime_key_paths();

// A `config_update` object → the overrides it sets. An empty object (or empty
// sections) sets nothing and is not an error. The error text is one line per
// problem joined with "; " (kind invalid_input), e.g.
//   unknown key `telemetry.intervall`; did you mean `telemetry.interval`?
//   `server.url` cannot be changed at runtime
//   `telemetry.interval`: expected a duration from 1s to 24h (…), found `5 minutes`: …
//   `alerts[disk_full].threshold`: expected a number (e.g. 90 or 0.5), found `high`: …
[[nodiscard]] Expected<RuntimeOverrides> parse_runtime_overrides(std::string_view config_json);

// `update`'s set keys over `base`'s.
[[nodiscard]] RuntimeOverrides merge(const RuntimeOverrides& base, const RuntimeOverrides& update);

// The overrides as a config_update object (canonical file syntax, e.g.
// `{"telemetry":{"interval":"30s"},"logging":{"level":"debug"}}`); what is
// persisted, and parse_runtime_overrides(to_json(o)) == o. `{}` when empty.
// `alerts` is written last, as a list of rules in file syntax.
[[nodiscard]] std::string to_json(const RuntimeOverrides& overrides);

// `config` with the set overrides in place of the file's values.
[[nodiscard]] Config apply(Config config, const RuntimeOverrides& overrides);

// Writes the merged overrides durably; the error says why it could not.
using PersistOverrides = std::function<Expected<void>(std::string_view json)>;

// One config_update against the overrides in force: parse (all-or-nothing),
// merge over `current`, persist the merged set, and only then return it for
// the caller to apply. On any error (invalid update, persist failed) nothing
// was persisted and `current` stays in force. An update that sets nothing
// returns `current` without persisting. The error is the update's
// (invalid_input) or the persist function's, kept as it came.
[[nodiscard]] Expected<RuntimeOverrides> accept_config_update(const RuntimeOverrides& current,
                                                              std::string_view config_json,
                                                              const PersistOverrides& persist);

}  // namespace outpost::config
