#pragma once
// The `streams` member of the status answer (the open log streams,
// docs/status.md "streams"), both ways and as text; apart from
// report_json/report_parse/render_text like telemetry_section.

#include <string>
#include <vector>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/status/report.hpp"

namespace outpost::status {

void write_streams(json::JsonWriter& w, const std::vector<StreamInfo>& streams);
// Absent (an older agent) or null: none. A malformed member fails `r`.
[[nodiscard]] std::vector<StreamInfo> read_streams(json::ObjectReader& r);
// Lines for render_text; every string passes through printable().
void render_streams(std::string& out, const std::vector<StreamInfo>& streams, TimePoint now);

}  // namespace outpost::status
