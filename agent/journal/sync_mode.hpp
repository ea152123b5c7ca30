#pragma once
// journal.sync: the one type for it, used as is by the config schema, whose
// YAML names are to_string()'s. Kept apart from journal.hpp so the config
// can name it without SQLite's headers.

#include <optional>
#include <string_view>

namespace outpost::journal {

// full: a returned commit survives power loss. normal (WAL): survives a
// crash of the agent, may lose the last commits on power loss.
enum class SyncMode { full, normal };

[[nodiscard]] std::string_view to_string(SyncMode mode);
[[nodiscard]] std::optional<SyncMode> parse_sync_mode(std::string_view text);

}  // namespace outpost::journal
