#include "agent/runtime/host_facts.hpp"

#include <fmt/format.h>

#include "agent/journal/journal.hpp"
#include "agent/log/log.hpp"
#include "agent/runtime/connection_settings.hpp"
#include "agent/runtime/status_source.hpp"
#include "executors/sandbox/leftover_runs.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";

std::vector<std::string> startup_warnings(const config::Config& config) {
    std::vector<std::string> warnings;
    if (plaintext_server(config)) warnings.push_back(plaintext_warning());
    return warnings;
}

// hello.data.sandbox: what the kernel offers, so degraded hosts are visible.
protocol::outbound::SandboxReport sandbox_report(const executors::Capabilities& caps) {
    protocol::outbound::SandboxReport report;
    for (const auto& status : caps.protections) {
        std::string name(executors::protection_name(status.protection));
        if (status.available) {
            report.active.push_back(std::move(name));
        } else {
            report.unavailable.emplace_back(std::move(name), status.detail);
        }
    }
    return report;
}

ExecHelper find_exec_helper() {
    ExecHelper helper = ExecHelper::find();
    if (!helper.path().empty()) {
        log::info(kLog, "sandbox: runs as other users start through {}", helper.path());
    } else {
        for (const std::string& why : helper.refused())
            log::info(kLog, "sandbox: not using {}", why);
        log::info(kLog, "sandbox: runs as other users fork the agent (slower, same protections)");
    }
    return helper;
}

}  // namespace

HostFacts HostFacts::probe(const config::Config& config) {
    HostFacts facts;
    facts.caps = executors::probe_capabilities();
    for (const std::string& line : facts.caps.summary()) log::info(kLog, "sandbox: {}", line);
    facts.warnings = startup_warnings(config);
    for (const std::string& warning : facts.warnings) log::warn(kLog, "{}", warning);
    facts.unrunnable = unrunnable_entries(config.executor, facts.caps);
    for (const auto& [name, why] : facts.unrunnable) {
        log::warn(kLog, "allow-list entry {} cannot run on this host: {}", name, why);
    }
    facts.sandbox = sandbox_report(facts.caps);
    facts.helper = find_exec_helper();
    // Before the journal calls the last process's running commands
    // `interrupted`: whatever of their runs still lives is killed (bounded),
    // and their reason says so.
    const executors::LeftoverRuns leftovers = executors::reap_leftover_runs(facts.caps.cgroups);
    if (leftovers.runs > 0) {
        log::warn(kLog, "sandbox: {} run cgroup(s) of an earlier agent process: {}", leftovers.runs,
                  leftovers.outcome());
    }
    for (const std::string& problem : leftovers.problems) log::warn(kLog, "sandbox: {}", problem);
    facts.restart_reason =
        fmt::format("{}; {}", journal::kReasonRestartedWhileRunning, leftovers.outcome());
    return facts;
}

}  // namespace outpost::runtime
