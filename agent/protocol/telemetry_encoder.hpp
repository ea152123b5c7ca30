#pragma once
// Writes the `data` object of a telemetry message (used by outbound_encoder).

#include "agent/common/json/json_writer.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::protocol {

void write_telemetry(json::JsonWriter& out, const outbound::Telemetry& telemetry);

}  // namespace outpost::protocol
