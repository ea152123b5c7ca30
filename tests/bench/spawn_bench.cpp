// Baseline for the execute benchmarks: raw posix_spawn + waitpid of a program
// (default /bin/true), sequentially (latency per spawn) and with K children in
// flight (spawns per second). Prints one JSON line.
//
//   spawn_bench [--program /bin/true] [--count 2000] [--in-flight 8] [--warmup 50]

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.hpp"

extern char** environ;

namespace {

using namespace outpost::bench;

pid_t spawn(const std::string& program) {
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    pid_t pid = 0;
    if (int rc = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ); rc != 0) {
        errno = rc;
        die("posix_spawn");
    }
    return pid;
}

void reap(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "child did not exit 0\n");
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string program = arg(argc, argv, "--program", "/bin/true");
    const long count = arg_int(argc, argv, "--count", 2000);
    const long in_flight = arg_int(argc, argv, "--in-flight", 8);
    const long warmup = arg_int(argc, argv, "--warmup", 50);

    for (long i = 0; i < warmup; ++i) reap(spawn(program));

    std::vector<double> us;
    us.reserve(static_cast<size_t>(count));
    const auto seq_start = Clock::now();
    for (long i = 0; i < count; ++i) {
        const auto t0 = Clock::now();
        reap(spawn(program));
        us.push_back(micros(Clock::now() - t0));
    }
    const double seq_s = micros(Clock::now() - seq_start) / 1e6;

    long started = 0, finished = 0;
    const auto burst_start = Clock::now();
    for (; started < in_flight && started < count; ++started) spawn(program);
    while (finished < count) {
        int status = 0;
        if (waitpid(-1, &status, 0) < 0) die("waitpid");
        ++finished;
        if (started < count) {
            spawn(program);
            ++started;
        }
    }
    const double burst_s = micros(Clock::now() - burst_start) / 1e6;

    JsonLine()
        .str("kind", "spawn")
        .str("program", program)
        .integer("count", count)
        .summary("", summarize(us), "us")
        .num("seq_per_s", static_cast<double>(count) / seq_s)
        .integer("in_flight", in_flight)
        .num("burst_per_s", static_cast<double>(count) / burst_s)
        .print();
    return 0;
}
