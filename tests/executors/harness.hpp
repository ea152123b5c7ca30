#pragma once
// Shared test plumbing: one probed Capabilities for the binary, a loop plus
// runner per test, and a bounded synchronous run.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/transport/event_loop.hpp"
#include "executors/runner/runner.hpp"
#include "tests/support/skip.hpp"

namespace outpost::executors::test {

const Capabilities& probed();

// A profile that uses every protection (all best effort), for tests that do
// not care which ones this host has.
SandboxProfile full_profile();
// No namespaces, no seccomp/Landlock: the plain process path.
SandboxProfile bare_profile();

RunSpec spec(std::string path, std::vector<std::string> args,
             SandboxProfile profile = full_profile());

struct Harness {
    explicit Harness(Capabilities caps = probed(), Runner::Options options = {});
    ~Harness();
    // Starts, runs the loop until the result arrives (fails the test after `limit`).
    RunResult run(RunSpec s, std::chrono::milliseconds limit = std::chrono::seconds(30));

    std::unique_ptr<transport::EventLoop> loop;
    std::unique_ptr<Runner> runner;
};

// Processes whose command line contains `marker` (for checking that a
// sandboxed process tree is gone, across PID namespaces).
std::vector<pid_t> processes_with(const std::string& marker);
std::vector<std::string> lines(const std::string& text);

}  // namespace outpost::executors::test
