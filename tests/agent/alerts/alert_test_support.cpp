#include "alert_test_support.hpp"

#include <catch2/catch.hpp>

#include "agent/alerts/metric_resolve.hpp"

namespace outpost::alerts::test {

protocol::outbound::Telemetry sample(std::optional<double> cpu, std::vector<Disk> disks) {
    protocol::outbound::Telemetry telemetry;
    telemetry.system.cpu = protocol::outbound::CpuStats{};
    telemetry.system.cpu->usage_percent = cpu;
    telemetry.system.cpu->cores = 2;
    for (auto& disk : disks) {
        protocol::outbound::DiskStats stats;
        stats.mount = disk.mount;
        stats.used_percent = disk.failed ? 0 : disk.used_percent;
        if (disk.failed) stats.error = "statvfs timed out";
        telemetry.system.disks.push_back(std::move(stats));
    }
    return telemetry;
}

config::AlertRule rule(std::string name, std::string metric, double threshold,
                       std::chrono::milliseconds for_duration, std::optional<double> clear) {
    config::AlertRule out;
    out.name = std::move(name);
    out.metric = std::move(metric);
    out.op = config::AlertOperator::greater;
    out.threshold = threshold;
    out.for_duration = for_duration;
    out.severity = protocol::outbound::Severity::critical;
    out.clear = clear;
    return out;
}

std::vector<CompiledRule> compiled(const std::vector<config::AlertRule>& rules) {
    auto out = compile_rules(rules);
    REQUIRE(out);
    return std::move(*out);
}

AlertEngine::Alerts feed(AlertEngine& engine, const protocol::outbound::Telemetry& telemetry,
                         TimePoint now) {
    auto encoded = EncodedSample::of(telemetry);
    REQUIRE(encoded);
    return engine.evaluate(encoded->root(), now);
}

}  // namespace outpost::alerts::test
