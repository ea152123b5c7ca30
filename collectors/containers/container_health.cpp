#include "collectors/containers/container_health.hpp"

namespace outpost::collectors {
namespace {

using protocol::outbound::CheckResult;

// "unhealthy: db, cache" for a non-empty list.
void describe(std::string& detail, std::string_view label, const std::vector<std::string>& names) {
    if (names.empty()) return;
    if (!detail.empty()) detail += "; ";
    detail += label;
    detail += ": ";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i != 0) detail += ", ";
        detail += names[i];
    }
}

}  // namespace

ContainerVerdict classify_containers(
    const std::vector<protocol::outbound::ContainerStats>& containers) {
    std::vector<std::string> unhealthy;
    std::vector<std::string> restarting;
    std::vector<std::string> starting;
    for (const auto& container : containers) {
        if (container.health == "unhealthy") {
            unhealthy.push_back(container.name);
        } else if (container.state == "restarting") {
            restarting.push_back(container.name);
        } else if (container.health == "starting") {
            starting.push_back(container.name);
        }
    }
    ContainerVerdict verdict;
    describe(verdict.detail, "unhealthy", unhealthy);
    describe(verdict.detail, "restarting", restarting);
    describe(verdict.detail, "health starting", starting);
    if (!unhealthy.empty()) {
        verdict.result = CheckResult::fail;
    } else if (!restarting.empty() || !starting.empty()) {
        verdict.result = CheckResult::warn;
    } else {
        verdict.detail =
            std::to_string(containers.size()) + " containers, none unhealthy or restarting";
    }
    return verdict;
}

}  // namespace outpost::collectors
