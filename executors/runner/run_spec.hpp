#pragma once
// One command run: what to start (RunSpec) and what came of it (RunResult).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executors/sandbox/profile.hpp"

namespace outpost::executors {

struct RunSpec {
    std::string path;               // absolute; never looked up on PATH
    std::vector<std::string> argv;  // argv[0] included; empty: {path}
    // Already filtered by policy. PATH, LANG and HOME are fixed by the runner
    // (entries with those names are replaced); LD_*, BASH_ENV and ENV are
    // dropped as a last line of defence.
    std::vector<std::pair<std::string, std::string>> env;
    std::string stdin_data;   // empty: stdin is /dev/null
    std::string working_dir;  // empty: "/"
    // HOME; unset: the uid's home from the passwd database, looked up at
    // start (the allow-list resolves it when it loads, so runs never do).
    std::optional<std::string> home;
    std::chrono::milliseconds timeout{60000};
    std::chrono::milliseconds kill_grace{5000};  // SIGTERM .. SIGKILL
    std::size_t max_output_bytes = 64 * 1024;    // per stream
    SandboxProfile profile;
};

enum class RunState { succeeded, failed, timed_out, cancelled };

[[nodiscard]] std::string_view run_state_name(RunState state);

struct RunResult {
    RunState state = RunState::failed;
    std::optional<int> exit_code;       // when the process exited
    std::optional<std::string> signal;  // "SIGKILL" when it was killed by a signal
    std::string stdout_data;            // raw bytes (UTF-8 repair is the encoder's job)
    std::string stderr_data;
    bool stdout_truncated = false;
    bool stderr_truncated = false;
    std::uint64_t stdout_dropped_bytes = 0;
    std::uint64_t stderr_dropped_bytes = 0;
    std::chrono::system_clock::time_point started_at;
    std::chrono::system_clock::time_point finished_at;
    std::chrono::milliseconds duration{0};
    // Why it failed when the exit code alone does not say: "exec failed:
    // execve: No such file or directory", "memory limit exceeded", ...
    std::optional<std::string> reason;
    // The program never started: a set-up step or the execve itself failed
    // (the reason then says "exec failed: ..."), so nothing ran and a retry
    // cannot run it twice. Callers decide by this, never by the reason text.
    // False for a run that was timed out or cancelled before it got that far.
    bool exec_failed = false;
    // Best-effort protections this run went without ("landlock: <why>").
    std::vector<std::string> degraded;
};

}  // namespace outpost::executors
