// OutputCapture: the cap, the count of what was dropped, and the per-call
// read budget that keeps a busy stream from holding the event loop.

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>

#include "executors/runner/output_capture.hpp"
#include "executors/sandbox/unique_fd.hpp"

using outpost::executors::OutputCapture;
using outpost::executors::UniqueFd;

namespace {

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
};

Pipe nonblocking_pipe(int size) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    REQUIRE(::fcntl(p.write_end.get(), F_SETPIPE_SZ, size) >= size);
    return p;
}

void write_all(int fd, std::size_t bytes) {
    const std::string chunk(4096, 'x');
    while (bytes > 0) {
        const auto n = ::write(fd, chunk.data(), std::min(bytes, chunk.size()));
        REQUIRE(n > 0);
        bytes -= static_cast<std::size_t>(n);
    }
}

}  // namespace

TEST_CASE("read_from keeps the cap, counts the rest, and stops at EOF", "[output]") {
    auto p = nonblocking_pipe(1 << 16);
    write_all(p.write_end.get(), 50000);
    p.write_end.reset();
    OutputCapture capture(1000);
    CHECK(capture.read_from(p.read_end.get()) == OutputCapture::ReadStatus::eof);
    CHECK(capture.data().size() == 1000);
    CHECK(capture.dropped() == 49000);
    CHECK(capture.truncated());
}

TEST_CASE("read_from returns after its budget while data is left", "[output]") {
    auto p = nonblocking_pipe(1 << 20);
    write_all(p.write_end.get(), 1 << 20);
    OutputCapture capture(1 << 30);
    CHECK(capture.read_from(p.read_end.get(), 64 * 1024) == OutputCapture::ReadStatus::more);
    CHECK(capture.data().size() == 64 * 1024);
    // The default budget: a full 1 MiB pipe takes more than one call.
    CHECK(capture.read_from(p.read_end.get()) == OutputCapture::ReadStatus::more);
    CHECK(capture.data().size() == 64 * 1024 + OutputCapture::kReadBudget);
    CHECK_FALSE(capture.truncated());
    while (capture.read_from(p.read_end.get()) == OutputCapture::ReadStatus::more &&
           capture.data().size() < (1u << 20)) {
    }
    CHECK(capture.data().size() == 1u << 20);
    CHECK(capture.read_from(p.read_end.get()) == OutputCapture::ReadStatus::again);  // empty, open
}

TEST_CASE("output left unread marks the stream truncated", "[output]") {
    OutputCapture capture(100);
    CHECK_FALSE(capture.truncated());
    capture.note_unread();
    CHECK(capture.truncated());
}
