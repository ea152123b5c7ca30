#pragma once
// What happened to a followed file since the source last looked, from two
// stats: the open descriptor's and the path's (docs/log-streaming.md,
// "Rotation"). Pure, so each case is tested without the kernel.
//
// The source keeps reading the descriptor it has: after a rename the old
// inode is still the one the writer may be finishing, so it is drained to its
// end first, and only then does the source switch to what the path names now.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace outpost::logs::file {

struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
};

enum class FileChange {
    none,       // the path still names the open file, and it did not shrink
    truncated,  // same file, now shorter than it was known to be: copytruncate
    replaced,   // the path names another file: renamed/deleted and created anew
    gone,       // nothing at the path: renamed or deleted, nothing created yet
};

// `open_size`: fstat of the open descriptor; `known_size`: how much of it is
// known to have existed (the larger of the bytes consumed and the largest
// size seen before); `at_path`: stat of the path, nullopt when it does not
// exist.
[[nodiscard]] FileChange classify_change(const FileIdentity& open, std::uint64_t open_size,
                                         std::uint64_t known_size,
                                         const std::optional<FileIdentity>& at_path);

}  // namespace outpost::logs::file
