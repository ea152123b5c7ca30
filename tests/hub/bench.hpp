#pragma once
// Benchmark commands of the hub, timed inside the hub and reported as one
// `{"event":"bench",...}` line (written even with --quiet-events):
//
//   bench-ping <count>
//       sends `ping` to the current agent, one at a time, and times each
//       `pong{ref}` (µs).
//   bench-execute <count> <in_flight> <command> [args...]
//       sends `execute{request_id, command, args}` with unique request ids,
//       keeping <in_flight> outstanding, and times `execute` → `command_ack`
//       and `execute` → `command_result` (ms); reports commands/s.
//
// Used by tests/bench (scripts/bench); see docs/performance.md.

#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::hub {

struct HubState;
class Session;
class JsonDoc;

// A control command whose verb starts with `bench-`.
[[nodiscard]] Expected<void> bench_command(HubState& hub, std::string_view verb,
                                           std::string_view rest);

// Every message of an established session, after the hub's own answer.
void bench_observe(HubState& hub, Session& session, std::string_view type, const JsonDoc& doc,
                   std::string_view raw);

}  // namespace outpost::hub
