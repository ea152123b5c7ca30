#include "agent/journal/command.hpp"

#include <algorithm>
#include <array>

namespace outpost::journal {

namespace {

constexpr std::array<std::pair<CommandState, std::string_view>, 9> kNames{{
    {CommandState::awaiting_approval, "awaiting_approval"},
    {CommandState::queued, "queued"},
    {CommandState::running, "running"},
    {CommandState::succeeded, "succeeded"},
    {CommandState::failed, "failed"},
    {CommandState::timed_out, "timed_out"},
    {CommandState::cancelled, "cancelled"},
    {CommandState::rejected, "rejected"},
    {CommandState::interrupted, "interrupted"},
}};

using S = CommandState;

// Every legal move between states; docs/journal.md shows the same table.
constexpr std::array<std::pair<CommandState, CommandState>, 13> kTransitions{{
    {S::awaiting_approval, S::running},    // execute_approved, a slot free
    {S::awaiting_approval, S::queued},     // execute_approved, waiting for a slot
    {S::awaiting_approval, S::cancelled},  // cancel
    {S::awaiting_approval, S::rejected},   // approval expired
    {S::queued, S::running},
    {S::queued, S::cancelled},
    {S::queued, S::rejected},     // a check at start time failed (e.g. not_after passed)
    {S::queued, S::interrupted},  // agent restarted before it started
    {S::running, S::succeeded},
    {S::running, S::failed},  // also: the process could not be started
    {S::running, S::timed_out},
    {S::running, S::cancelled},
    {S::running, S::interrupted},  // agent restarted while it ran
}};

}  // namespace

std::string_view to_string(CommandState state) {
    for (const auto& [value, name] : kNames) {
        if (value == state) return name;
    }
    return "unknown";
}

std::optional<CommandState> parse_command_state(std::string_view text) {
    for (const auto& [value, name] : kNames) {
        if (name == text) return value;
    }
    return std::nullopt;
}

bool is_terminal(CommandState state) {
    return state != S::awaiting_approval && state != S::queued && state != S::running;
}

bool is_legal_transition(CommandState from, CommandState to) {
    return std::find(kTransitions.begin(), kTransitions.end(), std::pair{from, to}) !=
           kTransitions.end();
}

bool can_enter(CommandState state) {
    return state == S::awaiting_approval || state == S::queued || state == S::rejected;
}

bool is_valid_request_id(std::string_view request_id) {
    if (request_id.empty() || request_id.size() > 128) return false;
    return std::all_of(request_id.begin(), request_id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '-';
    });
}

TimePoint approval_deadline_for(const CommandSpec& spec, TimePoint received_at) {
    const TimePoint window_end = received_at + kApprovalWindow;
    if (spec.not_after && *spec.not_after < window_end) return *spec.not_after;
    return window_end;
}

}  // namespace outpost::journal
