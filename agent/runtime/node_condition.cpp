#include "agent/runtime/node_condition.hpp"

#include <fmt/format.h>

namespace outpost::runtime {

std::optional<std::string> failing_checks(const protocol::outbound::Health& health) {
    using protocol::outbound::CheckResult;
    const std::pair<std::string_view, CheckResult> checks[] = {
        {"agent", health.checks.agent},           {"disk", health.checks.disk},
        {"memory", health.checks.memory},         {"database", health.checks.database},
        {"containers", health.checks.containers},
    };
    std::string reason;
    for (const auto& [name, result] : checks) {
        if (result != CheckResult::fail) continue;
        if (!reason.empty()) reason += "; ";
        reason += fmt::format("health check {} failed", name);
        const auto detail = health.details.find(std::string(name));
        if (detail != health.details.end() && !detail->second.empty()) {
            reason += ": " + detail->second;
        }
    }
    if (reason.empty()) return std::nullopt;
    return reason;
}

std::optional<std::string> degraded_reason(std::string_view journal_problem,
                                           const std::optional<std::string>& critical_alerts,
                                           const std::optional<std::string>& failing_health) {
    std::string reason;
    const auto add = [&](std::string_view part) {
        if (!reason.empty()) reason += "; ";
        reason += part;
    };
    if (!journal_problem.empty()) add(fmt::format("no command can run: {}", journal_problem));
    if (critical_alerts) add(*critical_alerts);
    if (failing_health) add(*failing_health);
    if (reason.empty()) return std::nullopt;
    return reason;
}

}  // namespace outpost::runtime
