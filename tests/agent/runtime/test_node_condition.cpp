// Why the node is degraded: the journal, critical alerts and failing health
// checks combine, most severe first.

#include <catch2/catch.hpp>

#include "agent/runtime/node_condition.hpp"

namespace outpost::runtime {

using protocol::outbound::CheckResult;
using protocol::outbound::Health;

TEST_CASE("node condition: online when nothing holds", "[runtime][degraded]") {
    CHECK_FALSE(degraded_reason("", std::nullopt, std::nullopt));
    Health healthy;
    healthy.checks = {CheckResult::ok, CheckResult::warn, CheckResult::ok, CheckResult::ok,
                      CheckResult::skipped};
    CHECK_FALSE(failing_checks(healthy));  // warn is not a failure
}

TEST_CASE("node condition: failing health checks name themselves and their details",
          "[runtime][degraded]") {
    Health health;
    health.checks = {CheckResult::ok, CheckResult::fail, CheckResult::ok, CheckResult::fail,
                     CheckResult::ok};
    health.details = {{"disk", "3% free"}};
    CHECK(failing_checks(health) ==
          "health check disk failed: 3% free; health check database failed");
}

TEST_CASE("node condition: the journal's reason comes first, then alerts, then health",
          "[runtime][degraded]") {
    CHECK(degraded_reason("", std::string("critical alert cpu_high firing"), std::nullopt) ==
          "critical alert cpu_high firing");
    CHECK(degraded_reason("journal sync failed", std::string("critical alert cpu_high firing"),
                          std::string("health check disk failed")) ==
          "no command can run: journal sync failed; critical alert cpu_high firing; "
          "health check disk failed");
    CHECK(degraded_reason("", std::nullopt, std::string("health check memory failed")) ==
          "health check memory failed");
}

}  // namespace outpost::runtime
