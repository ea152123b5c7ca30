#pragma once
// What the agent and outpost-exec-as agree on (exec_as.cpp documents the
// argv). Included by the freestanding helper too: constants only.

namespace outpost::executors::exec_as {

// argv[1]. The helper refuses any other value, so an agent and a helper from
// different package versions (an upgrade replaces the file under a running
// agent) never read each other's arguments in the wrong places.
inline constexpr const char* kInterfaceVersion = "outpost-exec-as/1";
// argv[2] in place of the uid: exit 0 at once. The agent runs this at
// start-up, so a helper that cannot execute here (noexec mount, MAC policy,
// wrong architecture) is found then and not by every run.
inline constexpr const char* kProbe = "probe";
// Supplementary groups it accepts; plans with more are forked.
inline constexpr unsigned kMaxGroups = 256;

}  // namespace outpost::executors::exec_as
