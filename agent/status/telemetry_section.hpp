#pragma once
// The `telemetry` member of the status answer, both ways and as text (kept
// apart from report_json/report_parse/render_text so those stay as they
// were; docs/status.md documents the fields).

#include <optional>
#include <string>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/status/report.hpp"

namespace outpost::status {

void write_telemetry(json::JsonWriter& w, const std::optional<TelemetryInfo>& telemetry);
// Absent or null: nullopt. A malformed member fails `r` with its path.
[[nodiscard]] std::optional<TelemetryInfo> read_telemetry(json::ObjectReader& r);
// Lines for render_text; every string passes through printable().
void render_telemetry(std::string& out, const TelemetryInfo& telemetry, TimePoint now);

}  // namespace outpost::status
