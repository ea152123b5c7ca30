#pragma once
// The journal's commands read without the agent's help (`outpost commands`),
// never writing to the journal or creating anything next to it.
//
// The running agent holds its journal with an exclusive lock
// (locking_mode=EXCLUSIVE, docs/journal.md) and keeps the write-ahead log's
// index in its own memory: no other process can read a consistent journal
// then, not even read-only (SQLite answers "database is locked"). So:
// - the lock is probed first (fcntl F_GETLK, which takes nothing): held
//   means the agent runs, and the listing says so and which pid holds it;
// - a journal with no write-ahead log left (the agent stopped cleanly) is
//   opened `mode=ro&immutable=1`: no lock taken, no -shm or -wal created;
// - one with a write-ahead log (the agent was killed) is copied with its log
//   into a private temporary directory and read there, so the last commands
//   are listed too and the journal itself is left exactly as the agent will
//   recover it. The copy goes when the listing ends, and on SIGINT, SIGTERM
//   or SIGHUP too (a handler removes it, then the signal ends the process).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::cli {

using TimePoint = std::chrono::system_clock::time_point;

struct JournalCommand {
    std::string request_id;
    std::string command;
    std::string state;
    std::optional<std::int64_t> exit_code;
    std::optional<std::string> signal;
    TimePoint received_at{};
    std::optional<TimePoint> started_at;
    std::optional<TimePoint> finished_at;
    std::optional<std::int64_t> duration_ms;
    std::optional<std::string> reason;
};

struct JournalQuery {
    std::size_t limit = 20;
    std::optional<std::string> state;  // one of the journal's states (validated by the caller)
};

// Newest first (by received_at). The error says what to do: agent running,
// no journal, permission denied, a journal of a newer agent, unreadable.
[[nodiscard]] Expected<std::vector<JournalCommand>> list_journal_commands(
    const std::filesystem::path& journal_path, const JournalQuery& query);

}  // namespace outpost::cli
