// Which allow-list entries `outpost status` reports as unable to run here.
#include <catch2/catch.hpp>

#include "agent/runtime/status_source.hpp"

using namespace outpost;

TEST_CASE("status: entries requiring a protection this host lacks are named, with why",
          "[status]") {
    executors::Capabilities caps;
    caps.protections = {
        {executors::Protection::seccomp, true, "filter mode works"},
        {executors::Protection::landlock, false, "not in this kernel"},
        {executors::Protection::cgroup_kill, false, "no cgroup v2"},
    };
    config::ExecutorConfig executor;
    config::CommandEntry fine;
    fine.name = "fine";
    fine.required_protections = {config::Protection::seccomp};
    config::CommandEntry best_effort;  // asks for nothing: runs without landlock
    best_effort.name = "best-effort";
    config::CommandEntry strict;
    strict.name = "strict";
    strict.required_protections = {config::Protection::seccomp, config::Protection::landlock,
                                   config::Protection::cgroup_kill};
    executor.commands = {fine, best_effort, strict};

    auto unrunnable = runtime::unrunnable_entries(executor, caps);
    REQUIRE(unrunnable.size() == 1);
    REQUIRE(unrunnable.contains("strict"));
    CHECK(unrunnable["strict"] ==
          "requires landlock, unavailable: not in this kernel; requires cgroup_kill, "
          "unavailable: no cgroup v2");
}
