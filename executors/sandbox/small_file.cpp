#include "executors/sandbox/small_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace outpost::executors {

std::optional<std::string> read_file_or_missing(const std::string& path) {
    std::string out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? std::optional<std::string>(out) : std::nullopt;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    ::close(fd);
    return out;
}

std::string read_file(const std::string& path) {
    return read_file_or_missing(path).value_or("");
}

}  // namespace outpost::executors
