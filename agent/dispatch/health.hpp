#pragma once
// The `health` answer (protocol.md §3.2): quick local checks only — it is
// produced on the service loop, so nothing here may block for long.

#include <optional>
#include <string>

#include "agent/journal/journal.hpp"
#include "agent/protocol/outbound_messages.hpp"

namespace outpost::dispatch {

// Thresholds: free space or available memory below 10 % is `warn`, below
// 2 % (disk) / 5 % (memory) is `fail`.
[[nodiscard]] protocol::outbound::Health collect_health(std::optional<std::string> ref,
                                                        journal::Journal* journal,
                                                        const std::string& journal_error,
                                                        const std::string& state_dir,
                                                        const std::string& proc_root = "/proc");

}  // namespace outpost::dispatch
