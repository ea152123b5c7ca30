#pragma once
// Owner-only file handling for the journal and its -wal/-shm companions.

#include <cstdint>
#include <filesystem>
#include <optional>

#include "agent/common/error.hpp"

namespace outpost::journal {

struct FileFacts {
    std::uintmax_t size = 0;
    unsigned mode = 0;  // permission bits only (07777)
};

// nullopt when the path does not exist. An error when it exists but is not a
// regular file, is owned by another user, or group/others have any access.
[[nodiscard]] Expected<std::optional<FileFacts>> inspect_private_file(
    const std::filesystem::path& path);

// Creates an empty file with mode 0600 (whatever the umask); fails if it exists.
[[nodiscard]] Expected<void> create_private_file(const std::filesystem::path& path);

// If the file exists, makes it 0600 when group/others had access, then checks
// that they really have none. A missing file is fine.
[[nodiscard]] Expected<void> restrict_to_owner(const std::filesystem::path& path);

// The companion files SQLite keeps next to a WAL database.
[[nodiscard]] std::filesystem::path wal_path(const std::filesystem::path& db);
[[nodiscard]] std::filesystem::path shm_path(const std::filesystem::path& db);

}  // namespace outpost::journal
