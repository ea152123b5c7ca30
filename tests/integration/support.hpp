#pragma once
// Small pieces the integration harness shares: a per-test temporary
// directory, file helpers, a free loopback port, and the "did this test
// fail?" flag that decides whether process output is printed.

#include <chrono>
#include <filesystem>
#include <string>

#include "child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace outpost::integration {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// on destruction unless OUTPOST_KEEP_TEST_DIRS is set: the shared one
// (tests/support), with file() as a string, which is how this harness
// passes paths to processes and configs.
class TempDir : public outpost::test_support::TempDir {
  public:
    TempDir() : outpost::test_support::TempDir("integ") {}
    [[nodiscard]] std::string file(const std::string& name) const {
        return (path() / name).string();
    }
};

void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);  // "" when missing

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, close).
int free_loopback_port();

// True once something accepts TCP connections on 127.0.0.1:`port`.
bool wait_for_port(int port, std::chrono::milliseconds limit);

// Seconds between two moments, for messages and comparisons.
double seconds(Clock::duration d);

// True when an assertion of the running test case failed or an exception is
// in flight; the wrappers print their processes' output then.
bool current_test_failed();
// Prints `text` to stderr with a header, for failure diagnosis.
void print_block(const std::string& header, const std::string& text);

}  // namespace outpost::integration
