#pragma once
// The engine's states as the journal keeps them (docs/alerts.md,
// "Persistence"): one JSON document under the journal's `state` key
// `alerts.state`, rewritten whenever a state starts, changes phase or ends.
// The `state` table already holds the agent's small durable values (the
// runtime overrides), so no schema migration is needed; the states of a
// node are a handful of rows' worth (one per firing or pending subject).
//
//   {"v":1,"states":[{"rule":"disk_full","subject":"mount=/","phase":"firing",
//     "since_ms":1765000000000,"value":91.5,"missed":0,"fingerprint":"…",
//     "severity":"warning","threshold":80,"message":"…"}]}

#include <string>
#include <string_view>
#include <vector>

#include "agent/alerts/alert_engine.hpp"
#include "agent/common/error.hpp"

namespace outpost::alerts {

inline constexpr std::string_view kAlertStateKey = "alerts.state";

[[nodiscard]] std::string encode_states(const std::vector<SubjectState>& states);

// The error (invalid_input) says what is wrong; the caller logs it and
// starts with no states (what fired is then announced again: better twice
// than never).
[[nodiscard]] Expected<std::vector<SubjectState>> decode_states(std::string_view text);

}  // namespace outpost::alerts
