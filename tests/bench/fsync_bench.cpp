// The cost of one durable write on the disk that holds the agent's state:
// append 4 KiB to a file in --dir and fsync (and, separately, fdatasync),
// --count times. Explains journal.sync=full (SQLite WAL + synchronous=FULL
// syncs the WAL at every commit). Prints one JSON line.
//
//   fsync_bench --dir DIR [--count 200]

#include <fcntl.h>
#include <unistd.h>

#include "bench_util.hpp"

namespace {

using namespace outpost::bench;

std::vector<double> run(int fd, long count, bool data_only) {
    std::vector<char> block(4096, 'x');
    std::vector<double> us;
    for (long i = 0; i < count; ++i) {
        if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
            die("write");
        }
        const auto t0 = Clock::now();
        if ((data_only ? fdatasync(fd) : fsync(fd)) != 0) die("fsync");
        us.push_back(micros(Clock::now() - t0));
    }
    return us;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string dir = arg(argc, argv, "--dir", ".");
    const long count = arg_int(argc, argv, "--count", 200);
    const std::string path = dir + "/fsync-bench.tmp";
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");
    auto full = summarize(run(fd, count, false));
    auto data = summarize(run(fd, count, true));
    close(fd);
    unlink(path.c_str());
    JsonLine()
        .str("kind", "fsync")
        .str("dir", dir)
        .integer("count", count)
        .summary("fsync_", full, "us")
        .summary("fdatasync_", data, "us")
        .print();
    return 0;
}
