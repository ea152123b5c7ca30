#pragma once
// Small files private to the agent's user in the state directory: created
// atomically with an exact mode (whatever the umask), read back with checks on
// type, size and, for secrets, permissions.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::auth {

// Creates `dir` with mode 0700 (parents as needed) if it does not exist; an
// existing directory is left as it is. Fails if `dir` exists but is not one.
[[nodiscard]] Expected<void> ensure_private_dir(const std::filesystem::path& dir);

enum class Secrecy { public_ok, owner_only };

// Reads a regular file of at most `max_bytes`. Returns nullopt if it does not
// exist. With Secrecy::owner_only a file with any group/other permission bit
// is refused with an error naming the path, the mode and the chmod fix.
[[nodiscard]] Expected<std::optional<std::string>> read_small_file(
    const std::filesystem::path& path, std::size_t max_bytes, Secrecy secrecy);

// Writes `contents` to a new temporary file beside `path` (O_CREAT|O_EXCL,
// then fchmod to `mode`), fsyncs it, moves it to `path` without replacing an
// existing file, and fsyncs the directory. Returns false (and leaves nothing
// behind) if `path` already existed, e.g. created by a concurrent process.
[[nodiscard]] Expected<bool> create_file_atomically(const std::filesystem::path& path,
                                                    std::string_view contents, mode_t mode);

}  // namespace outpost::auth
