// outpost-test-append FILE WORD [DELAY_MS]: the side effect of the command
// and crash integration tests. Sleeps half of DELAY_MS, appends "WORD\n" to
// FILE with one O_APPEND write and fsyncs it, then sleeps the other half,
// so a crash of the agent can land before, or after, the side effect of a
// command that is still running. Exit 0 on success, 1 on any failure.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

void sleep_ms(long ms) {
    if (ms <= 0) return;
    timespec left{ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: outpost-test-append FILE WORD [DELAY_MS]\n");
        return 1;
    }
    const long delay = argc == 4 ? std::strtol(argv[3], nullptr, 10) : 0;
    sleep_ms(delay / 2);
    const std::string line = std::string(argv[2]) + "\n";
    const int fd = ::open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "open %s: %s\n", argv[1], std::strerror(errno));
        return 1;
    }
    const ssize_t n = ::write(fd, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0) {
        std::fprintf(stderr, "write %s: %s\n", argv[1], std::strerror(errno));
        ::close(fd);
        return 1;
    }
    ::close(fd);
    sleep_ms(delay - delay / 2);
    std::printf("appended %s\n", argv[2]);
    return 0;
}
