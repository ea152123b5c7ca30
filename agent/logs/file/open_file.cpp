#include "agent/logs/file/open_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace outpost::logs::file {

Expected<std::optional<OpenFile>> OpenFile::open(const std::string& path) {
    // O_NONBLOCK: a FIFO at the path must not block the loop in open(); it is
    // refused below. Regular files ignore the flag.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        return fail(errno == EACCES ? ErrorKind::permission : ErrorKind::io,
                    "open " + path + ": " + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return fail(ErrorKind::invalid_input, "not a regular file: " + path);
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
