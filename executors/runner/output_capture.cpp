#include "executors/runner/output_capture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace outpost::executors {

OutputCapture::ReadStatus OutputCapture::read_from(int fd, std::size_t budget) {
    char buf[16384];
    for (std::size_t read_so_far = 0; read_so_far < budget;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) return ReadStatus::eof;
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? ReadStatus::again : ReadStatus::error;
        }
        const std::size_t got = static_cast<std::size_t>(n);
        read_so_far += got;
        const std::size_t keep = std::min(got, cap_ - std::min(cap_, data_.size()));
        data_.append(buf, keep);
        dropped_ += got - keep;
    }
    return ReadStatus::more;
}

}  // namespace outpost::executors
