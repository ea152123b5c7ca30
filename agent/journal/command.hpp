#pragma once
// What the journal records about a command (protocol §3.3) and the state
// machine it enforces. Times are wall-clock and stored with millisecond
// precision (sub-millisecond parts are dropped).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outpost::journal {

using TimePoint = std::chrono::system_clock::time_point;

enum class CommandState {
    awaiting_approval,
    queued,
    running,
    succeeded,
    failed,
    timed_out,
    cancelled,
    rejected,
    interrupted,
};

[[nodiscard]] std::string_view to_string(CommandState state);
[[nodiscard]] std::optional<CommandState> parse_command_state(std::string_view text);
// succeeded, failed, timed_out, cancelled, rejected, interrupted.
[[nodiscard]] bool is_terminal(CommandState state);
// The transition table of docs/journal.md; entering the machine is not a
// transition (see can_enter).
[[nodiscard]] bool is_legal_transition(CommandState from, CommandState to);
// States a new command may be journaled in: awaiting_approval, queued, rejected.
[[nodiscard]] bool can_enter(CommandState state);

// 1–128 characters of [A-Za-z0-9._:-] (protocol §3.3).
[[nodiscard]] bool is_valid_request_id(std::string_view request_id);

// What the server asked for. env and stdin are kept only until the command
// finishes: they are needed to start it (e.g. after approval), not after.
struct CommandSpec {
    std::string request_id;
    std::string command;  // the allow-list entry's name
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
    std::string stdin_data;
    std::optional<std::int64_t> timeout_ms;
    std::optional<TimePoint> not_after;
};

// The stored fields of a command_result.
struct CommandResult {
    CommandState state = CommandState::failed;  // must be terminal
    std::optional<int> exit_code;
    std::optional<std::string> signal;
    std::string stdout_text;
    std::string stderr_text;
    bool stdout_truncated = false;
    bool stderr_truncated = false;
    std::int64_t duration_ms = 0;
    std::optional<std::string> reason;
    TimePoint finished_at;
    // When the process really started (the runner's clock). The row's
    // started_at is first the time `running` was journaled — before the
    // sync that makes it durable, so possibly well before the process —
    // and finish() replaces it with this when set.
    std::optional<TimePoint> started_at;
};

struct CommandRecord {
    CommandSpec spec;
    CommandState state = CommandState::queued;
    TimePoint received_at;
    std::optional<TimePoint> approval_deadline;  // set while held for approval
    std::optional<TimePoint> started_at;
    std::optional<CommandResult> result;    // present exactly when state is terminal
    std::optional<TimePoint> delivered_at;  // result_ack received

    [[nodiscard]] bool result_delivered() const { return delivered_at.has_value(); }
};

// Held commands expire at their not_after or one hour after they arrived,
// whichever comes first (protocol §3.3, execute_approved).
inline constexpr std::chrono::hours kApprovalWindow{1};
[[nodiscard]] TimePoint approval_deadline_for(const CommandSpec& spec, TimePoint received_at);

}  // namespace outpost::journal
