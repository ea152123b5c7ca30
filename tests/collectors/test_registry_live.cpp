// The registry table, the agent's own figures, and every collector on the
// live /proc with each value checked against a range (and timed).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "collectors/agent_collector.hpp"
#include "collectors/registry.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;
using namespace std::chrono_literals;
using outpost::protocol::outbound::Telemetry;

namespace {

std::vector<std::string> names_of(const std::vector<std::unique_ptr<Collector>>& collectors) {
    std::vector<std::string> names;
    for (const auto& collector : collectors) names.emplace_back(collector->name());
    return names;
}

bool is_percent(double value) {
    return value >= 0.0 && value <= 100.0;
}

// CPU time of the calling thread, in microseconds: on a shared machine the
// wall time of a collect says more about the neighbours than about it.
double thread_cpu_us() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace

TEST_CASE("the registry makes the enabled collectors, in table order") {
    CollectorsSettings settings;
    CHECK(names_of(make_collectors(settings, Roots{})) ==
          std::vector<std::string>{"cpu", "memory", "load", "uptime", "disks", "network",
                                   "processes", "containers", "agent"});
    settings.cpu = false;
    settings.disks.enabled = false;
    settings.processes.enabled = false;
    settings.agent = false;
    settings.containers.enabled = false;
    CHECK(names_of(make_collectors(settings, Roots{})) ==
          std::vector<std::string>{"memory", "load", "uptime", "network"});
    CHECK(disabled_collector_names(settings) ==
          std::vector<std::string>{"cpu", "disks", "processes", "containers", "agent"});
    CHECK(disabled_collector_names(CollectorsSettings{}).empty());
    CHECK(collector_names().size() == 9);
}

TEST_CASE("the agent collector counts its own open fds") {
    AgentCollector agent(Roots{});
    Telemetry before, after;
    REQUIRE(agent.collect(request_now(), before));
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(agent.collect(request_now(), after));
    ::close(fd);
    CHECK(after.agent.open_fds == before.agent.open_fds + 1);
    CHECK(after.agent.rss_bytes > 1024 * 1024);
    CHECK(after.agent.cpu_seconds > 0);
    CHECK(after.agent.cpu_seconds >= before.agent.cpu_seconds);
}

// The /proc collectors; containers reads the Docker socket, not /proc, and
// has its own tests (tests/collectors/containers).
static CollectorsSettings procfs_collectors() {
    CollectorsSettings settings;
    settings.containers.enabled = false;
    return settings;
}

TEST_CASE("a missing /proc fails every collector with a clear error, none crashes") {
    for (const auto& collector :
         make_collectors(procfs_collectors(), Roots{"/nonexistent-proc", "/nonexistent-sys"})) {
        INFO(collector->name());
        Telemetry sample;
        auto result = collector->collect(request_now(), sample);
        REQUIRE_FALSE(result);
        CHECK(result.error().message().find("/nonexistent-proc") != std::string::npos);
    }
}

TEST_CASE("every collector on the live /proc gives values within range") {
    auto collectors = make_collectors(procfs_collectors(), Roots{});
    Telemetry first, sample;
    for (auto& collector : collectors) REQUIRE(collector->collect(request_now(), first));
    std::this_thread::sleep_for(300ms);
    for (auto& collector : collectors) {
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = thread_cpu_us();
        auto result = collector->collect(request_at(start), sample);
        const double cpu_us = thread_cpu_us() - cpu_start;
        const double us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count();
        WARN(collector->name() << " collect: " << us << " us wall, " << cpu_us
                               << " us CPU of the calling thread");
        INFO(collector->name());
        REQUIRE(result);
        CHECK_FALSE(result->skipped);
    }
    const auto& s = sample.system;
    REQUIRE(s.cpu);
    CHECK(s.cpu->cores == static_cast<std::uint32_t>(::sysconf(_SC_NPROCESSORS_ONLN)));
    REQUIRE(s.cpu->usage_percent);
    for (auto share : {s.cpu->usage_percent, s.cpu->user_percent, s.cpu->system_percent,
                       s.cpu->iowait_percent, s.cpu->steal_percent}) {
        REQUIRE(share);
        CHECK(is_percent(*share));
    }
    CHECK(s.cpu->per_core_percent.size() == s.cpu->cores);
    for (double busy : s.cpu->per_core_percent) CHECK(is_percent(busy));

    REQUIRE(s.memory);
    CHECK(s.memory->total_bytes > 64u * 1024 * 1024);
    CHECK(s.memory->available_bytes <= s.memory->total_bytes);
    CHECK(s.memory->used_bytes == s.memory->total_bytes - s.memory->available_bytes);
    CHECK(is_percent(s.memory->used_percent));
    CHECK(s.memory->swap_used_bytes <= s.memory->swap_total_bytes);
    if (s.memory->pressure) {
        for (auto share : {s.memory->pressure->cpu_some, s.memory->pressure->memory_some,
                           s.memory->pressure->memory_full, s.memory->pressure->io_some,
                           s.memory->pressure->io_full}) {
            if (share) CHECK(is_percent(*share));
        }
    }
    REQUIRE(s.load);
    CHECK(s.load->load1 >= 0);
    CHECK(s.load->load15 >= 0);
    REQUIRE(s.uptime_s);
    CHECK(*s.uptime_s > 0);
    CHECK_FALSE(s.disks.empty());
    for (const auto& interface : s.network) {
        if (interface.per_second) CHECK(interface.per_second->rx_bytes >= 0);
    }
    REQUIRE(s.processes);
    CHECK(s.processes->total > 0);
    CHECK(sample.agent.open_fds > 2);
    CHECK(sample.agent.rss_bytes > 0);
    CHECK(sample.agent.uptime_s <= *s.uptime_s);
}
