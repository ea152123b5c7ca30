#pragma once
// The last-resort tree kill when a run has neither a cgroup nor a PID
// namespace: every process still in the run's session or process group
// (both are the main process's pid, thanks to setsid()). A daemon that
// called setsid() itself escapes this; docs/sandbox.md says so.

#include <sys/types.h>

namespace outpost::executors {

// SIGKILLs every process whose session or process group is `leader`; returns
// how many were signalled.
int kill_session(pid_t leader);
// True while any process is in that session or process group.
[[nodiscard]] bool session_alive(pid_t leader);

}  // namespace outpost::executors
