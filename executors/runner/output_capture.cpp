#include "executors/runner/output_capture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace outpost::executors {

OutputCapture::ReadStatus OutputCapture::read_from(int fd) {
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) return ReadStatus::eof;
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? ReadStatus::again : ReadStatus::error;
        }
        const std::size_t got = static_cast<std::size_t>(n);
        const std::size_t keep = std::min(got, cap_ - std::min(cap_, data_.size()));
        data_.append(buf, keep);
        dropped_ += got - keep;
    }
}

}  // namespace outpost::executors
