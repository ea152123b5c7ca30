// outpost-test-numbered-writer FILE COUNT: appends COUNT numbered lines
// ("000000001 <padding>\n") to FILE at full speed, one O_APPEND write per
// line, as a logging process does. On SIGHUP (logrotate's postrotate in
// `create` mode) it reopens FILE before its next line, so a rotated-away
// file gets no line after the reopen. Exit 0 when all lines are written.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile std::sig_atomic_t reopen_requested = 0;

void on_hangup(int) {
    reopen_requested = 1;
}

int open_log(const char* path) {
    return ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: outpost-test-numbered-writer FILE COUNT\n");
        return 1;
    }
    struct sigaction action {};
    action.sa_handler = on_hangup;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(SIGHUP, &action, nullptr);
    // The test's loop blocks these; a child must not inherit that mask.
    sigset_t all;
    ::sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);

    const long count = std::strtol(argv[2], nullptr, 10);
    int fd = open_log(argv[1]);
    if (fd < 0) {
        std::perror("open");
        return 1;
    }
    char line[64];
    for (long i = 1; i <= count; ++i) {
        if (reopen_requested) {
            reopen_requested = 0;
            ::close(fd);
            fd = open_log(argv[1]);
            if (fd < 0) {
                std::perror("reopen");
                return 1;
            }
        }
        const int length = std::snprintf(line, sizeof line, "%09ld some log text\n", i);
        if (::write(fd, line, static_cast<std::size_t>(length)) != length) {
            std::perror("write");
            return 1;
        }
    }
    ::close(fd);
    return 0;
}
