#pragma once
// What the agent learns about its host once at start, before it connects:
// the sandbox's protections, the start-up warnings, the allow-list entries
// this host cannot run, outpost-exec-as, and what an earlier agent process
// left running (killed here). Each is logged as it is found;
// hello and `outpost status` report them for as long as the agent runs.

#include <map>
#include <string>
#include <vector>

#include "agent/config/config.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "agent/runtime/exec_helper.hpp"
#include "executors/sandbox/probe.hpp"

namespace outpost::runtime {

struct HostFacts {
    executors::Capabilities caps;
    // Honest about what this version ignores rather than silently skipping
    // it: logged at start, and shown by `outpost status`.
    std::vector<std::string> warnings;
    // name → why (unrunnable_entries()); shown under commands by `outpost
    // status`, so not repeated as warnings.
    std::map<std::string, std::string, std::less<>> unrunnable;
    protocol::outbound::SandboxReport sandbox;  // hello.data.sandbox
    ExecHelper helper;
    // The reason of the commands the last agent process left running: what
    // became of their processes, which start-up has just reaped
    // (executors/sandbox/leftover_runs.hpp) before the journal calls them
    // `interrupted`.
    std::string restart_reason;

    // Probes and logs, in that order.
    [[nodiscard]] static HostFacts probe(const config::Config& config);
};

}  // namespace outpost::runtime
