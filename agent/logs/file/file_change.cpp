#include "agent/logs/file/file_change.hpp"

namespace outpost::logs::file {

FileChange classify_change(const FileIdentity& open, std::uint64_t open_size,
                           std::uint64_t known_size, const std::optional<FileIdentity>& at_path) {
    if (!at_path) return FileChange::gone;
    if (*at_path != open) return FileChange::replaced;
    // Shorter than it was: truncated in place. (Truncated and grown back
    // past that size before this look cannot be told from growth:
    // docs/log-streaming.md, "copytruncate".)
    if (open_size < known_size) return FileChange::truncated;
    return FileChange::none;
}

}  // namespace outpost::logs::file
