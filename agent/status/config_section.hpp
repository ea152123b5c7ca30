#pragma once
// The `config` member of the status answer (the config file in force and the
// last SIGHUP reload), both ways and as text; kept apart like
// telemetry_section.hpp. docs/status.md documents the fields.

#include <optional>
#include <string>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/status/report.hpp"

namespace outpost::status {

void write_config_section(json::JsonWriter& w, const std::optional<ConfigInfo>& config);
// Absent (an older agent) or null: nullopt. A malformed member fails `r`.
[[nodiscard]] std::optional<ConfigInfo> read_config_section(json::ObjectReader& r);
// Lines for render_text; every string passes through printable().
void render_config_section(std::string& out, const ConfigInfo& config, TimePoint now);

}  // namespace outpost::status
