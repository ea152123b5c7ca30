// The `collectors` section: defaults, values, and what it refuses.

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

TEST_CASE("the collectors section defaults to everything on", "[config][collectors]") {
    auto result = load(kMinimal);
    REQUIRE(result);
    const auto& c = result->collectors;
    CHECK(c.cpu);
    CHECK(c.memory);
    CHECK(c.load);
    CHECK(c.uptime);
    CHECK(c.network);
    CHECK(c.agent);
    CHECK(c.disks.enabled);
    CHECK_FALSE(c.disks.network_fs);
    CHECK(c.disks.exclude_mounts.empty());
    CHECK(c.disks.timeout == 2s);
    CHECK(c.processes.enabled);
    CHECK(c.processes.top == 5);
    CHECK(c.containers.enabled);
    CHECK(c.containers.socket == "/var/run/docker.sock");
    CHECK(c.containers.timeout == 2s);
    CHECK(c.containers.max_containers == 100);
}

TEST_CASE("the collectors section loads every key", "[config][collectors]") {
    auto result = load_with(R"(collectors:
  cpu: {enabled: false}
  memory: {enabled: false}
  load: {enabled: false}
  uptime:
    enabled: false
  network: {enabled: false}
  agent: {enabled: false}
  disks:
    enabled: false
    network_fs: true
    exclude_mounts: [/mnt/a, /srv/b]
    timeout: 500ms
  processes: {enabled: false, top: 0}
  containers: {enabled: false, socket: /run/podman/podman.sock, timeout: 5s, max_containers: 7}
)");
    if (!result) FAIL(describe(result.error()));
    const auto& c = result->collectors;
    CHECK_FALSE(c.cpu);
    CHECK_FALSE(c.memory);
    CHECK_FALSE(c.load);
    CHECK_FALSE(c.uptime);
    CHECK_FALSE(c.network);
    CHECK_FALSE(c.agent);
    CHECK_FALSE(c.disks.enabled);
    CHECK(c.disks.network_fs);
    CHECK(c.disks.exclude_mounts == std::vector<std::string>{"/mnt/a", "/srv/b"});
    CHECK(c.disks.timeout == 500ms);
    CHECK_FALSE(c.processes.enabled);
    CHECK(c.processes.top == 0);
    CHECK_FALSE(c.containers.enabled);
    CHECK(c.containers.socket == "/run/podman/podman.sock");
    CHECK(c.containers.timeout == 5s);
    CHECK(c.containers.max_containers == 7);
}

TEST_CASE("the collectors section refuses bad values and unknown keys", "[config][collectors]") {
    const auto refuses = [](const std::string& yaml, const std::string& path) {
        auto result = load_with(yaml);
        INFO(yaml);
        REQUIRE_FALSE(result);
        CHECK(has_issue(result.error(), path));
    };
    refuses("collectors:\n  cpu: {enabled: maybe}\n", "collectors.cpu.enabled");
    refuses("collectors:\n  cpu: {enabeld: false}\n", "collectors.cpu.enabeld");
    refuses("collectors:\n  gpu: {enabled: true}\n", "collectors.gpu");
    refuses("collectors:\n  processes: {top: 101}\n", "collectors.processes.top");
    refuses("collectors:\n  processes: {top: 4294967296}\n", "collectors.processes.top");
    refuses("collectors:\n  disks: {timeout: 10ms}\n", "collectors.disks.timeout");
    refuses("collectors:\n  disks: {exclude_mounts: [relative]}\n",
            "collectors.disks.exclude_mounts[0]");
    refuses("collectors:\n  containers: {max_containers: 0}\n",
            "collectors.containers.max_containers");
    refuses("collectors:\n  containers: {socket: docker.sock}\n", "collectors.containers.socket");
}
