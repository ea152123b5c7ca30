#pragma once
// Reads the Docker Engine API's JSON answers (API version 1.41, which the
// Docker Engine since 20.10 and podman's compatible service both speak) into
// the few facts the containers collector reports. Pure functions over the
// body text, tested offline on answers saved from podman
// (tests/collectors/testdata/containers/).
//
// Only the members we use are read; others are ignored, so newer engines
// that add members still parse. A member we need that is missing or of the
// wrong type is an Error naming its JSON pointer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::collectors::containers {

// One entry of GET /containers/json?all=1.
struct ListedContainer {
    std::string id;
    std::string name;  // the first of Names, without Docker's leading '/'
    std::string image;
    std::string state;  // "running", "exited", "created", "restarting", …
};

// GET /containers/json?all=1 as read: the entries we can ask about, and,
// for each one left out, why (the collector's note).
struct ContainerList {
    std::vector<ListedContainer> containers;
    std::vector<std::string> left_out;
};

// A container id as the engine makes them: 12 to 64 lowercase hex digits
// (the full id is 64). Only such an id goes into a request path: one with
// '/', '?', a space or CR/LF would reach another endpoint or smuggle a
// second request (a POST …/kill) to the engine.
[[nodiscard]] bool is_container_id(std::string_view id);

// The few facts of GET /containers/{id}/json we need.
struct InspectedContainer {
    std::string state;   // State.Status
    std::string health;  // State.Health.Status, "" when there is no healthcheck
    std::uint64_t restart_count = 0;
};

// CPU counters of one stats reading (nanoseconds since the container and the
// host started).
struct CpuCounters {
    std::uint64_t container_ns = 0;  // cpu_usage.total_usage
    std::uint64_t system_ns = 0;     // system_cpu_usage
    std::uint32_t online_cpus = 0;
};

// One reading of GET /containers/{id}/stats?stream=false&one-shot=true.
struct StatsReading {
    // usage minus the inactive page cache, as `docker stats` shows it.
    std::optional<std::uint64_t> memory_bytes;
    std::optional<CpuCounters> cpu;
    // precpu_stats, when the engine filled it (Docker does without one-shot,
    // after waiting a second; with one-shot it is zero and absent here).
    std::optional<CpuCounters> precpu;
};

// An entry whose Id is no container id (is_container_id) is left out, not
// an Error: the others are still worth reporting.
[[nodiscard]] Expected<ContainerList> parse_container_list(std::string_view json);
[[nodiscard]] Expected<InspectedContainer> parse_container_inspect(std::string_view json);
// An empty body (podman's answer for a container that stopped) is a reading
// without values.
[[nodiscard]] Expected<StatsReading> parse_container_stats(std::string_view json);

// The container's CPU use between two readings in percent of one core
// (200 % is two cores busy), as `docker stats` computes it. nullopt when the
// readings cannot be compared (no time passed, counters went back).
[[nodiscard]] std::optional<double> cpu_percent_between(const CpuCounters& earlier,
                                                        const CpuCounters& later);

}  // namespace outpost::collectors::containers
