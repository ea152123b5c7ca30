// Splitting a sample too large for protocol.max_message_bytes: a small
// limit and a big sample, every part under the limit, numbered 1..count,
// every item sent exactly once and in order (docs/protocol-notes.md,
// "Split telemetry").

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "agent/protocol/outbound_encoder.hpp"
#include "agent/telemetry/sample_split.hpp"

namespace {

using namespace outpost::protocol::outbound;
using outpost::telemetry::encoded_size;
using outpost::telemetry::split_sample;
using outpost::telemetry::SplitLimits;

Telemetry big_sample(std::size_t disks, std::size_t interfaces, std::size_t containers) {
    Telemetry t;
    t.node_id = "node-1";
    t.seq = 42;
    t.collected_at = "2026-12-07T20:00:00.000Z";
    t.system.cpu.emplace();
    t.system.cpu->usage_percent = 12.5;
    t.system.cpu->cores = 4;
    t.system.cpu->per_core_percent = {1, 2, 3, 4};
    t.system.memory.emplace().total_bytes = 1 << 30;
    t.system.uptime_s = 1234;
    for (std::size_t i = 0; i < disks; ++i) {
        DiskStats& d = t.system.disks.emplace_back();
        d.mount = fmt::format("/mnt/disk{}", i);
        d.device = fmt::format("/dev/sd{}", i);
        d.fs_type = "ext4";
        d.total_bytes = 1000;
        d.used_percent = 50;
    }
    for (std::size_t i = 0; i < interfaces; ++i) {
        t.system.network.emplace_back().interface = fmt::format("veth{}", i);
    }
    for (std::size_t i = 0; i < containers; ++i) {
        ContainerStats& c = t.containers.emplace_back();
        c.id = fmt::format("{:064}", i);
        c.name = fmt::format("c{}", i);
        c.image = "nginx:1";
        c.state = "running";
    }
    t.agent.version = "1.2.3";
    t.agent.outbox.dropped = 77;
    t.collectors.push_back(
        CollectorProblem{"containers", CollectorProblem::State::skipped, "no socket"});
    return t;
}

}  // namespace

TEST_CASE("split: a sample that fits is one message without part") {
    auto split = split_sample(big_sample(3, 2, 1), SplitLimits{.max_message_bytes = 64 * 1024});
    REQUIRE(split.parts.size() == 1);
    CHECK_FALSE(split.parts[0].part);
    CHECK(split.capped == 0);
}

TEST_CASE("split: a big sample under a small limit goes in numbered parts, every item once") {
    const std::size_t limit = 2048;
    const Telemetry whole = big_sample(60, 40, 30);
    REQUIRE(encoded_size(whole) > 4 * limit);
    auto split = split_sample(whole, SplitLimits{.max_message_bytes = limit});
    REQUIRE(split.parts.size() > 4);
    CHECK(split.unsendable == 0);
    const auto count = static_cast<std::uint32_t>(split.parts.size());

    std::vector<std::string> mounts, interfaces, containers;
    for (std::uint32_t i = 0; i < count; ++i) {
        const Telemetry& part = split.parts[i];
        INFO("part " << i + 1);
        CHECK(encoded_size(part) <= limit);
        REQUIRE(part.part);
        CHECK(part.part->index == i + 1);
        CHECK(part.part->count == count);
        CHECK(part.seq == 42);
        CHECK(part.collected_at == whole.collected_at);
        CHECK(part.node_id == "node-1");
        // agent in every part: its running drop total never goes back.
        CHECK(part.agent.outbox.dropped == 77);
        CHECK(part.agent.version == "1.2.3");
        // The single-valued sections and the problems only in part 1.
        CHECK(part.system.cpu.has_value() == (i == 0));
        CHECK(part.system.memory.has_value() == (i == 0));
        CHECK(part.collectors.size() == (i == 0 ? 1u : 0u));
        for (const auto& d : part.system.disks) mounts.push_back(d.mount);
        for (const auto& n : part.system.network) interfaces.push_back(n.interface);
        for (const auto& c : part.containers) containers.push_back(c.name);
    }
    REQUIRE(mounts.size() == 60);
    REQUIRE(interfaces.size() == 40);
    REQUIRE(containers.size() == 30);
    for (std::size_t i = 0; i < mounts.size(); ++i) CHECK(mounts[i] == whole.system.disks[i].mount);
    for (std::size_t i = 0; i < containers.size(); ++i) {
        CHECK(containers[i] == whole.containers[i].name);
    }
}

TEST_CASE("split: the lists are capped first and the cut is counted") {
    auto split = split_sample(big_sample(300, 0, 0),
                              SplitLimits{.max_message_bytes = 1 << 20, .max_disks = 256});
    REQUIRE(split.parts.size() == 1);
    CHECK(split.parts[0].system.disks.size() == 256);
    CHECK(split.capped == 44);
}

TEST_CASE("split: an item that cannot fit any part is left out and counted") {
    Telemetry t = big_sample(2, 0, 0);
    t.system.disks[1].mount = std::string(4000, 'm');
    auto split = split_sample(t, SplitLimits{.max_message_bytes = 1500});
    CHECK(split.unsendable == 1);
    std::size_t disks = 0;
    for (const auto& part : split.parts) {
        CHECK(encoded_size(part) <= 1500);
        disks += part.system.disks.size();
    }
    CHECK(disks == 1);
}

// protocol.max_message_bytes may be 4 KiB; sealed, the inner limit is then
// about 2.9 KiB. Part 1's own sections must fit it too.
TEST_CASE("split: part 1 over a low limit is trimmed to fit, and the cut counted") {
    Telemetry t = big_sample(20, 0, 0);
    t.system.cpu->per_core_percent.assign(1024, 42.5);
    auto& processes = t.system.processes.emplace();
    for (int i = 0; i < 100; ++i) {
        ProcessEntry p;
        p.pid = 1000 + i;
        p.name = fmt::format("worker-{}", i);
        p.user = "www-data";
        processes.top_cpu.push_back(p);
        processes.top_rss.push_back(p);
    }
    t.collectors.push_back(
        CollectorProblem{"disks", CollectorProblem::State::failed, std::string(3000, 'e')});
    const std::size_t limit = 2900;
    auto split = split_sample(t, SplitLimits{.max_message_bytes = limit});
    CHECK_FALSE(split.dropped);
    REQUIRE_FALSE(split.parts.empty());
    for (const Telemetry& part : split.parts) CHECK(encoded_size(part) <= limit);
    const Telemetry& first = split.parts[0];
    CHECK(first.system.cpu->per_core_percent.empty());
    CHECK(first.system.cpu->usage_percent == 12.5);  // the totals stay
    CHECK(first.system.processes->top_cpu.size() < 100);
    CHECK(split.trimmed >= 1024 + 2);
    std::size_t disks = 0;
    for (const auto& part : split.parts) disks += part.system.disks.size();
    CHECK(disks == 20);
}

TEST_CASE("split: a part 1 that cannot fit even trimmed drops the sample, which says so") {
    Telemetry t = big_sample(2, 0, 0);
    t.node_id = std::string(600, 'n');  // the envelope alone is over the limit
    auto split = split_sample(t, SplitLimits{.max_message_bytes = 500});
    CHECK(split.dropped);
    CHECK(split.parts.empty());
}
