#pragma once
// Inside the journal only: reading the database's own mark and comparing it
// with the mark file's at open (journal_mark.cpp; docs/journal.md, "A journal
// that went backwards").

#include <filesystem>
#include <optional>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/journal/mark_file.hpp"
#include "agent/journal/sqlite.hpp"

namespace outpost::journal {

// `state` and `counters` rows holding the database's mark.
inline constexpr std::string_view kEpochKey = "journal.epoch";
inline constexpr std::string_view kGenerationCounter = "journal.generation";

// The database's mark, read-only; nullopt for a file that has none (new,
// 0 bytes, schema version 0, or written by an agent before marks).
[[nodiscard]] Expected<std::optional<JournalMark>> read_db_mark(sqlite::Database& db,
                                                                int schema_version);

// An error (kind journal) naming the cause and the way out when the
// database is not the mark file's epoch at or past its generation. A
// missing mark file proves nothing (it is re-created from the database).
[[nodiscard]] Expected<void> check_not_behind(const std::filesystem::path& db_path,
                                              const std::optional<JournalMark>& in_db,
                                              const std::optional<JournalMark>& in_file);

}  // namespace outpost::journal
