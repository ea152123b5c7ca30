#pragma once
// The `containers` health check (protocol.md §3.2 `health`) from the
// containers of the latest sample:
//   fail  any container whose healthcheck says "unhealthy";
//   warn  any container "restarting", or whose healthcheck is still "starting";
//   ok    otherwise (stopped containers included: stopping one is not a fault).
// `detail` names the containers behind a warn or fail ("unhealthy: db;
// restarting: web"). `skipped` (no Docker socket, collector off) is the
// caller's business: it knows whether the collector ran.

#include <string>
#include <vector>

#include "agent/protocol/outbound_messages.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::collectors {

struct ContainerVerdict {
    protocol::outbound::CheckResult result = protocol::outbound::CheckResult::ok;
    std::string detail;
};

[[nodiscard]] ContainerVerdict classify_containers(
    const std::vector<protocol::outbound::ContainerStats>& containers);

}  // namespace outpost::collectors
