#pragma once
// The journal's schema as an ordered list of migration steps keyed by
// PRAGMA user_version: step N takes a file from version N-1 to N, each in its
// own transaction. A file newer than the last step is refused.

#include <span>
#include <string_view>

#include "agent/common/error.hpp"
#include "agent/journal/sqlite.hpp"

namespace outpost::journal {

struct Migration {
    int version;            // user_version after this step
    std::string_view name;  // for messages and docs
    std::string_view sql;
};

// The migrations of this agent, oldest first.
[[nodiscard]] std::span<const Migration> migrations();
[[nodiscard]] int current_schema_version();

[[nodiscard]] Expected<int> read_user_version(sqlite::Database& db);

// Applies every step newer than the file's user_version. Returns the version
// the file has afterwards. Steps must be numbered 1, 2, 3, ... in order.
[[nodiscard]] Expected<int> migrate(sqlite::Database& db, std::span<const Migration> steps);

}  // namespace outpost::journal
