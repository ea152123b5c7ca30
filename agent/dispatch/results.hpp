#pragma once
// Conversions between what the runner reports, what the journal stores and
// what goes on the wire as `command_result` (protocol.md §3.3).

#include <string>

#include "agent/journal/command.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "executors/runner/run_spec.hpp"

namespace outpost::dispatch {

[[nodiscard]] journal::CommandResult to_journal(const executors::RunResult& run);

[[nodiscard]] journal::CommandResult rejected_result(std::string reason, journal::TimePoint now);
// `failed` for a `running` command whose process never started; the reason
// says why ("not started: ...").
[[nodiscard]] journal::CommandResult not_started_result(std::string reason, journal::TimePoint now);

// Builds the wire message from a finished journal record. Output is cut (and
// flagged truncated) until the encoded message fits `max_message_bytes`: the
// agent never sends a larger message (§3).
[[nodiscard]] protocol::outbound::CommandResult to_wire(const journal::CommandRecord& record,
                                                        std::size_t max_message_bytes);

}  // namespace outpost::dispatch
