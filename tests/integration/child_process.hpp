#pragma once
// A child process with pipes on stdin, stdout and stderr, for tests that run
// the real `outpost` and `outpost-hub` binaries.
//
// Reads never block: pump() polls every live child's pipes (all of them, so
// no child ever stalls on a full pipe while a test waits on another one) and
// appends what arrived to per-child buffers. The destructor sends SIGTERM,
// waits a bounded time, then SIGKILLs, and always reaps, so no process
// outlives the object, whether the test passed or an assertion threw.
//
// Single-threaded: use from the test's thread only.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace outpost::integration {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct SpawnOptions {
    explicit SpawnOptions(std::vector<std::string> args, std::vector<std::string> unset = {})
        : argv(std::move(args)), unset_env(std::move(unset)) {}

    std::vector<std::string> argv;  // argv[0] is the program path
    // Environment changes applied to this process's environment.
    std::map<std::string, std::string> set_env;
    std::vector<std::string> unset_env;
};

class ChildProcess {
  public:
    enum class Stream { out, err };

    // Throws std::runtime_error when the process cannot be started.
    explicit ChildProcess(const SpawnOptions& options);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] const std::string& name() const { return name_; }

    // Writes all of `text` to the child's stdin (bounded by `limit`); false
    // when stdin is closed or the child does not read.
    bool write_stdin(std::string_view text, std::chrono::milliseconds limit = 5s);
    void close_stdin();

    // Complete lines received so far on `stream` that were not taken yet.
    std::optional<std::string> take_line(Stream stream);
    // Everything ever received on `stream` (for failure output).
    [[nodiscard]] const std::string& all_output(Stream stream) const;

    void send_signal(int signal);
    // The wait status once the child has exited (reaped), pumping pipes
    // meanwhile; nullopt when still running at `deadline`.
    std::optional<int> wait_exit(Clock::time_point deadline);
    [[nodiscard]] bool exited() const { return status_.has_value(); }
    // Non-blocking check; reaps when the child has exited.
    bool poll_exit();
    // SIGTERM, up to `grace`, then SIGKILL; always reaps. Idempotent.
    void terminate(std::chrono::milliseconds grace = 3s);

    // Polls the pipes of every live ChildProcess for up to `timeout` (returns
    // early once anything arrived) and buffers what it reads.
    static void pump(std::chrono::milliseconds timeout);

  private:
    struct Pipe {
        int fd = -1;
        std::string all;        // everything received
        std::size_t taken = 0;  // offset of the first byte not returned as a line
    };
    void read_from(Pipe& pipe);
    Pipe& pipe(Stream stream) { return stream == Stream::out ? out_ : err_; }

    std::string name_;
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    Pipe out_;
    Pipe err_;
    std::optional<int> status_;
};

// "exited with 0", "killed by signal 9", for messages.
std::string describe_status(int wait_status);

}  // namespace outpost::integration
