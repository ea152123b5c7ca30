// The parent side of the child's close-on-exec error pipe: the records the
// set-up writes (child_setup.cpp), read without blocking on the event loop.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "executors/sandbox/child_setup.hpp"

namespace outpost::executors {

bool StartReader::read(SpawnedChild& child, bool open_ns_init) {
    if (!child.start_fd.valid()) return true;
    bool at_end = false;
    char buf[512];
    for (;;) {
        const ssize_t n = ::read(child.start_fd.get(), buf, sizeof buf);
        if (n > 0) {
            pending_.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        at_end = true;  // EOF (or a broken pipe): nothing more will come
        break;
    }
    size_t start = 0;
    for (size_t end = pending_.find('\n'); end != std::string::npos;
         end = pending_.find('\n', start)) {
        handle(child, pending_.substr(start, end - start), open_ns_init);
        start = end + 1;
    }
    pending_.erase(0, start);
    if (at_end && !pending_.empty()) {  // a record cut short
        handle(child, pending_, open_ns_init);
        pending_.clear();
    }
    return at_end;
}

void StartReader::handle(SpawnedChild& child, const std::string& record, bool open_ns_init) {
    if (record.empty()) return;
    const std::string text = record.substr(1);
    if (record.front() == 'N') {
        pid_t pid = -1;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
        if (ec != std::errc{} || pid <= 0 || child.ns_init_pid > 0) return;
        child.ns_init_pid = pid;
        // P1 cannot be reaped before it exits and P0 (still our unreaped
        // child when `open_ns_init`) reaps it; its pid is safe to open here
        // unless that already happened (then the open fails or, after pid
        // reuse, names a process we never signal unless P0 is still running).
        if (open_ns_init)
            child.ns_init_pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    } else if (record.front() == 'E' && !error_ && !text.empty()) {
        error_ = text;
    } else if (record.front() == 'e' && !error_) {
        // From the exec helper, which has no strerror: "<step>:<errno>".
        const std::size_t colon = text.rfind(':');
        int err = 0;
        const char* first = text.data() + (colon == std::string::npos ? 0 : colon + 1);
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(first, end, err);
        if (colon == std::string::npos || colon == 0 || ec != std::errc{} || ptr != end ||
            err <= 0) {
            // Still a failed start: say so rather than show a bare exit 127.
            error_ = "exec helper: malformed report `" + text.substr(0, 200) + "`";
            return;
        }
        const char* description = ::strerrordesc_np(err);
        error_ = text.substr(0, colon) + ": " +
                 (description != nullptr ? description : "errno " + std::to_string(err));
    }
}

}  // namespace outpost::executors
