#include "agent/dispatch/health.hpp"

#include <sys/statvfs.h>

#include <fmt/format.h>

#include <fstream>

namespace outpost::dispatch {
namespace {

using protocol::outbound::CheckResult;

CheckResult grade(double free_ratio, double warn_below, double fail_below) {
    if (free_ratio < fail_below) return CheckResult::fail;
    if (free_ratio < warn_below) return CheckResult::warn;
    return CheckResult::ok;
}

void check_disk(protocol::outbound::Health& health, const std::string& state_dir) {
    struct statvfs fs {};
    if (::statvfs(state_dir.c_str(), &fs) != 0 || fs.f_blocks == 0) {
        health.checks.disk = CheckResult::fail;
        health.details["disk"] = "cannot stat the state directory " + state_dir;
        return;
    }
    double ratio = static_cast<double>(fs.f_bavail) / static_cast<double>(fs.f_blocks);
    health.checks.disk = grade(ratio, 0.10, 0.02);
    health.details["disk"] =
        fmt::format("{:.1f}% free on the state directory's file system", ratio * 100.0);
}

void check_memory(protocol::outbound::Health& health, const std::string& proc_root) {
    std::ifstream meminfo(proc_root + "/meminfo");
    std::string key;
    std::uint64_t value = 0, total = 0, available = 0;
    std::string unit;
    while (meminfo >> key >> value) {
        std::getline(meminfo, unit);
        if (key == "MemTotal:") total = value;
        if (key == "MemAvailable:") available = value;
    }
    if (total == 0) {
        health.details["memory"] = "no MemTotal in " + proc_root + "/meminfo";
        return;  // skipped: nothing to judge
    }
    double ratio = static_cast<double>(available) / static_cast<double>(total);
    health.checks.memory = grade(ratio, 0.10, 0.05);
    health.details["memory"] = fmt::format("{:.1f}% available", ratio * 100.0);
}

}  // namespace

protocol::outbound::Health collect_health(std::optional<std::string> ref, journal::Journal* journal,
                                          const std::string& journal_error,
                                          const std::string& state_dir,
                                          const std::string& proc_root) {
    protocol::outbound::Health health;
    health.ref = std::move(ref);
    health.checks.agent = CheckResult::ok;
    if (!journal) {
        health.checks.database = CheckResult::fail;
        health.details["database"] = journal_error;
    } else if (auto backlog = journal->results_awaiting_ack(); !backlog) {
        health.checks.database = CheckResult::fail;
        health.details["database"] = backlog.error().message();
    } else {
        health.checks.database = CheckResult::ok;
        health.details["database"] = fmt::format("{} undelivered result(s)", *backlog);
    }
    check_disk(health, state_dir);
    check_memory(health, proc_root);
    health.checks.containers = CheckResult::skipped;
    health.details["containers"] = "container checks are not part of this version";
    return health;
}

}  // namespace outpost::dispatch
