#pragma once
// Internal to the journal: reading command rows and small shared steps of
// the command operations (commands.cpp, maintenance.cpp).

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/journal/command.hpp"
#include "agent/journal/sqlite.hpp"

namespace outpost::journal::rows {

// SELECT of every commands column, for read_command; append WHERE/ORDER BY.
inline constexpr std::string_view kSelectCommand =
    "SELECT request_id, command, timeout_ms, stdin_data, received_at, not_after, "
    "approval_deadline, started_at, finished_at, state, exit_code, signal, stdout, stderr, "
    "stdout_truncated, stderr_truncated, duration_ms, reason, delivered_at FROM commands ";

// Runs a SELECT built on kSelectCommand; reads every row with its args and env.
[[nodiscard]] Expected<std::vector<CommandRecord>> select_commands(sqlite::Statement& stmt,
                                                                   sqlite::Database& db);
[[nodiscard]] Expected<std::optional<CommandState>> current_state(sqlite::Database& db,
                                                                  std::string_view request_id);
// A result must be terminal, succeeded means exit code 0, duration >= 0.
[[nodiscard]] Expected<void> check_result(const CommandResult& result);
// env and stdin are only needed to start a command; drop them once it finished.
[[nodiscard]] Expected<void> erase_finished_inputs(sqlite::Database& db);
// The same for one command (finish): by primary key, not a scan of the journal.
[[nodiscard]] Expected<void> erase_inputs_of(sqlite::Database& db, std::string_view request_id);
// SELECT count(*) ... with at most one text parameter.
[[nodiscard]] Expected<std::size_t> count_of(sqlite::Database& db, std::string_view sql,
                                             std::optional<std::string_view> param);

}  // namespace outpost::journal::rows
