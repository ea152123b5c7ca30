#pragma once
// Why the node is `degraded` (protocol.md §3.2 `status`), from everything
// that can make it so: the journal (no command can run), critical alerts
// that fire, and health checks that fail. The session driver posts
// status{degraded, reason} while this has a reason and status{online} once
// it has none (SessionDriver::Hooks::degraded_reason).

#include <optional>
#include <string>
#include <string_view>

#include "agent/protocol/outbound_messages.hpp"

namespace outpost::runtime {

// The failing checks of a health report, "health check disk failed: 3% free;
// health check database failed", or nullopt when none fails.
[[nodiscard]] std::optional<std::string> failing_checks(const protocol::outbound::Health& health);

// Every reason that holds, most severe first, joined by "; ": the journal's
// (commands cannot run at all) before critical alerts before failing health
// checks. nullopt when none holds.
[[nodiscard]] std::optional<std::string> degraded_reason(
    std::string_view journal_problem, const std::optional<std::string>& critical_alerts,
    const std::optional<std::string>& failing_health);

}  // namespace outpost::runtime
