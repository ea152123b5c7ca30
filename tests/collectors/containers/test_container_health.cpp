#include <catch2/catch.hpp>

#include "collectors/containers/container_health.hpp"

using outpost::collectors::classify_containers;
using outpost::protocol::outbound::CheckResult;
using outpost::protocol::outbound::ContainerStats;

namespace {

ContainerStats container(std::string name, std::string state, std::string health) {
    ContainerStats stats;
    stats.name = std::move(name);
    stats.state = std::move(state);
    stats.health = std::move(health);
    return stats;
}

}  // namespace

TEST_CASE("containers health: unhealthy fails, restarting or starting warns, the rest is ok") {
    CHECK(classify_containers({}).result == CheckResult::ok);
    CHECK(classify_containers({}).detail == "0 containers, none unhealthy or restarting");

    const auto quiet = classify_containers(
        {container("web", "running", "healthy"), container("job", "exited", "")});
    CHECK(quiet.result == CheckResult::ok);
    CHECK(quiet.detail == "2 containers, none unhealthy or restarting");

    const auto warn = classify_containers({container("web", "restarting", ""),
                                           container("db", "running", "starting"),
                                           container("x", "running", "")});
    CHECK(warn.result == CheckResult::warn);
    CHECK(warn.detail == "restarting: web; health starting: db");

    const auto bad = classify_containers({container("web", "restarting", ""),
                                          container("db", "running", "unhealthy"),
                                          container("cache", "running", "unhealthy")});
    CHECK(bad.result == CheckResult::fail);
    CHECK(bad.detail == "unhealthy: db, cache; restarting: web");
}
