#pragma once
// The process exit codes every `outpost` command shares, here rather than in
// agent/cli so that `outpost run`'s body (agent/runtime) returns the same
// constants. `outpost status` adds its own above these (cmd_status.cpp).

namespace outpost {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the environment failed (I/O, network)
inline constexpr int kExitUsage = 2;    // bad command line or bad config

}  // namespace outpost
