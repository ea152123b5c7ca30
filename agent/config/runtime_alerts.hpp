#pragma once
// config_update's `alerts` (protocol.md §3.3), internal to runtime_overrides:
// the list is shaped like the file's `alerts` list and loaded through the
// same schema row (schema_alerts.cpp), so every check and message is the
// file's. Values may be JSON strings in the file's syntax ("5m", "90") or,
// for numbers, JSON numbers. The whole list replaces the rules in force;
// `[]` turns alerting off.

#include <functional>
#include <string>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/config/config.hpp"

namespace outpost::config {

// The rules `value` gives, or nothing with each problem passed to `problem`.
[[nodiscard]] std::optional<AlertsConfig> parse_runtime_alerts(
    const json::Value& value, const std::function<void(std::string)>& problem);

// The rules as a config_update `alerts` list (file syntax, every value a
// string); parse_runtime_alerts reads back what this writes.
void write_runtime_alerts(json::JsonWriter& out, const AlertsConfig& alerts);

}  // namespace outpost::config
