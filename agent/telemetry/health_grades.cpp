#include "agent/telemetry/health_grades.hpp"

#include <sys/statvfs.h>

#include <fmt/format.h>

#include <fstream>

namespace outpost::telemetry {
namespace {

using protocol::outbound::CheckResult;
using protocol::outbound::Health;

CheckResult grade_share(double share, double warn_below, double fail_below) {
    if (share < fail_below) return CheckResult::fail;
    if (share < warn_below) return CheckResult::warn;
    return CheckResult::ok;
}

double ms(std::chrono::microseconds d) {
    return static_cast<double>(d.count()) / 1000.0;
}

void grade_lag(Health& health, const LagSummary& lag, const LagThresholds& t) {
    if (lag.samples == 0) {
        health.details["agent"] = "loop lag not measured yet";
        health.checks.agent = CheckResult::ok;
        return;
    }
    if (lag.p99 >= t.fail_p99 || lag.max >= t.fail_max) {
        health.checks.agent = CheckResult::fail;
    } else if (lag.p99 >= t.warn_p99 || lag.max >= t.warn_max) {
        health.checks.agent = CheckResult::warn;
    } else {
        health.checks.agent = CheckResult::ok;
    }
    health.details["agent"] =
        fmt::format("service loop lag p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms over {} probes",
                    ms(lag.p50), ms(lag.p99), ms(lag.max), lag.samples);
}

void grade_database(Health& health, const HealthReadings& readings, const LoopFacts& loop) {
    if (!loop.journal_problem.empty()) {
        health.checks.database = CheckResult::fail;
        health.details["database"] = loop.journal_problem;
        return;
    }
    if (!readings.database) {
        health.details["database"] = "no journal file to check";
        return;  // skipped
    }
    const auto& check = *readings.database;
    if (!check) {
        health.checks.database =
            check.error().kind() == ErrorKind::timed_out ? CheckResult::warn : CheckResult::fail;
        health.details["database"] = check.error().message();
        return;
    }
    health.checks.database = check->ok ? CheckResult::ok : CheckResult::fail;
    health.details["database"] =
        check->ok ? fmt::format(
                        "quick_check ok in {} ms",
                        std::chrono::duration_cast<std::chrono::milliseconds>(check->took).count())
                  : "quick_check: " + check->detail;
}

}  // namespace

Health grade_health(std::optional<std::string> ref, const HealthReadings& readings,
                    const LoopFacts& loop, const LagThresholds& lag) {
    Health health;
    health.ref = std::move(ref);
    grade_lag(health, loop.lag, lag);
    if (readings.disk_free) {
        health.checks.disk = grade_share(*readings.disk_free, 0.10, 0.02);
        health.details["disk"] = fmt::format("{:.1f}% free on the state directory's file system",
                                             *readings.disk_free * 100.0);
    } else {
        health.checks.disk = CheckResult::fail;
        health.details["disk"] = readings.disk_free.error().message();
    }
    if (readings.memory_available) {
        health.checks.memory = grade_share(*readings.memory_available, 0.10, 0.05);
        health.details["memory"] =
            fmt::format("{:.1f}% available", *readings.memory_available * 100.0);
    } else {
        health.details["memory"] = readings.memory_available.error().message();  // skipped
    }
    grade_database(health, readings, loop);
    if (loop.containers) {
        health.checks.containers = loop.containers->first;
        health.details["containers"] = loop.containers->second;
    } else {
        health.details["containers"] = loop.containers_skipped_why;
    }
    return health;
}

Ratio read_disk_free(const std::string& directory) {
    struct statvfs fs {};
    if (::statvfs(directory.c_str(), &fs) != 0 || fs.f_blocks == 0) {
        return fail(ErrorKind::io, "cannot stat the state directory " + directory);
    }
    return static_cast<double>(fs.f_bavail) / static_cast<double>(fs.f_blocks);
}

Ratio read_memory_available(const std::string& proc_root) {
    std::ifstream meminfo(proc_root + "/meminfo");
    std::string key;
    std::string unit;
    std::uint64_t value = 0;
    std::uint64_t total = 0;
    std::uint64_t available = 0;
    while (meminfo >> key >> value) {
        std::getline(meminfo, unit);
        if (key == "MemTotal:") total = value;
        if (key == "MemAvailable:") available = value;
    }
    if (total == 0) return fail(ErrorKind::not_found, "no MemTotal in " + proc_root + "/meminfo");
    return static_cast<double>(available) / static_cast<double>(total);
}

}  // namespace outpost::telemetry
