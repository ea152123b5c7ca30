#include "agent/logs/file/open_file.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace outpost::logs::file {

namespace {

// Why an opened file must not be streamed, or nullopt when it may. The agent
// runs as root and the log's directory is often writable by the service that
// logs there: a hard link to a root-only file (same filesystem), or a
// pseudo-file under /proc or /sys, would otherwise go to the control plane.
std::optional<std::string> refusal(int fd, const struct stat& info, const std::string& path) {
    if (!S_ISREG(info.st_mode)) return "not a regular file: " + path;
    if (info.st_nlink > 1) {
        return path + " has " + std::to_string(info.st_nlink) +
               " hard links (a log file has one; another name may be a planted link)";
    }
    struct statfs fs {};
    if (::fstatfs(fd, &fs) != 0) return "fstatfs " + path + ": " + std::strerror(errno);
    if (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC) {
        return path + " is on procfs or sysfs, not a log file";
    }
    return std::nullopt;
}

}  // namespace

Expected<std::optional<OpenFile>> OpenFile::open(const std::string& path) {
    // O_NONBLOCK: a FIFO at the path must not block the loop in open(); it is
    // refused below. Regular files ignore the flag. O_NOFOLLOW: whoever can
    // write the log's directory could replace the file with a symlink to any
    // root-only file (docs/log-streaming.md, "Security"); symlinked PARENT
    // directories are the operator's choice and still resolve.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        if (errno == ELOOP) {
            return fail(ErrorKind::permission, path + " is a symbolic link (not followed)");
        }
        return fail(errno == EACCES ? ErrorKind::permission : ErrorKind::io,
                    "open " + path + ": " + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int saved = errno;
        ::close(fd);
        return fail(ErrorKind::io, "fstat " + path + ": " + std::strerror(saved));
    }
    if (auto why = refusal(fd, info, path)) {
        ::close(fd);
        return fail(S_ISREG(info.st_mode) ? ErrorKind::permission : ErrorKind::invalid_input,
                    std::move(*why));
    }
    return OpenFile(fd, FileIdentity{info.st_dev, info.st_ino});
}

OpenFile::OpenFile(OpenFile&& other) noexcept
    : watch(std::exchange(other.watch, -1)),
      fd_(std::exchange(other.fd_, -1)),
      identity_(other.identity_) {}

OpenFile& OpenFile::operator=(OpenFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        watch = std::exchange(other.watch, -1);
        identity_ = other.identity_;
    }
    return *this;
}

OpenFile::~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
}

Expected<OpenFile::Status> OpenFile::status() const {
    struct stat info {};
    if (::fstat(fd_, &info) != 0)
        return fail(ErrorKind::io, std::string("fstat: ") + std::strerror(errno));
    return Status{static_cast<std::uint64_t>(info.st_size), info.st_nlink == 0};
}

}  // namespace outpost::logs::file
