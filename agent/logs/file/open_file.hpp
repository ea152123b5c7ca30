#pragma once
// One opened regular file the source reads: its descriptor, its identity
// (device, inode: what tells a rotated file from its successor) and the
// inotify watch on that inode. Move-only; closing is the destructor.

#include <cstdint>
#include <optional>
#include <string>

#include "agent/common/error.hpp"
#include "agent/logs/file/file_change.hpp"

namespace outpost::logs::file {

class OpenFile {
  public:
    // nullopt: nothing at `path` (or a directory of it missing): waited for.
    // An error: it exists but cannot be read, or is no regular file (a FIFO
    // would block the loop, a directory has no lines), or may not be streamed:
    // the path is a symbolic link, the file has more than one hard link, or
    // it is on procfs/sysfs (docs/log-streaming.md, "Security").
    [[nodiscard]] static Expected<std::optional<OpenFile>> open(const std::string& path);

    OpenFile(OpenFile&& other) noexcept;
    OpenFile& operator=(OpenFile&& other) noexcept;
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    ~OpenFile();

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] const FileIdentity& identity() const { return identity_; }

    struct Status {
        std::uint64_t size = 0;
        bool deleted = false;  // no name left: nobody can open it to write
    };
    [[nodiscard]] Expected<Status> status() const;

    // The inotify watch descriptor on this inode (-1: none); FileSource's.
    int watch = -1;

  private:
    OpenFile(int fd, FileIdentity identity) : fd_(fd), identity_(identity) {}

    int fd_ = -1;
    FileIdentity identity_{};
};

}  // namespace outpost::logs::file
