// Crash durability: mark_running is on disk when it returns. A child process
// journals commands and reports each id after mark_running returned; the
// parent kills it with SIGKILL at a random point and checks the journal.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <set>

#include "journal_fixture.hpp"

using namespace journal_test;
using S = j::CommandState;

namespace {

constexpr int kCommands = 100'000;  // more than the child gets through before the kill

std::string request_id(int n) {
    return fmt::format("cmd-{}", n);
}

// The child: never returns; it only ends by SIGKILL (or _exit on failure).
[[noreturn]] void journal_until_killed(const std::filesystem::path& path, j::SyncMode sync,
                                       int report_fd) {
    auto journal = j::Journal::open(path, sync);
    if (!journal) ::_exit(2);
    for (int n = 1; n <= kCommands; ++n) {
        if (!journal->queue(spec(request_id(n)), at())) ::_exit(3);
        if (!journal->mark_running(request_id(n), at(1s))) ::_exit(4);
        if (::write(report_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) ::_exit(5);
    }
    for (;;) ::pause();
}

// Reads one reported id; false at end of file. Fails the test after 30 s.
bool read_id(int fd, int& id) {
    std::size_t got = 0;
    auto* bytes = reinterpret_cast<char*>(&id);
    while (got < sizeof id) {
        pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
        const int ready = ::poll(&p, 1, 30'000);
        if (ready < 0 && errno == EINTR) continue;
        REQUIRE(ready == 1);
        const ssize_t n = ::read(fd, bytes + got, sizeof id - got);
        if (n < 0 && errno == EINTR) continue;
        REQUIRE(n >= 0);
        if (n == 0) {
            REQUIRE(got == 0);  // the child writes whole ids
            return false;
        }
        got += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

TEST_CASE("mark_running is durable when it returns, even if the agent is killed") {
    const auto sync = GENERATE(j::SyncMode::full, j::SyncMode::normal);
    const auto seed = std::random_device{}();
    INFO("sync " << j::to_string(sync) << ", seed " << seed);
    std::mt19937 random(seed);
    const int kill_after = std::uniform_int_distribution<int>(1, 60)(random);
    const auto extra_delay =
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(random));

    TempDir dir;
    const auto path = dir.file("journal.db");
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(fds[0]);
        journal_until_killed(path, sync, fds[1]);
    }
    ::close(fds[1]);

    std::set<int> reported;
    int id = 0;
    while (static_cast<int>(reported.size()) < kill_after && read_id(fds[0], id)) {
        reported.insert(id);
    }
    // Kill somewhere inside a later queue/mark_running, not just after a report.
    ::usleep(static_cast<useconds_t>(extra_delay.count()));
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("child status " << status);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    while (read_id(fds[0], id)) reported.insert(id);  // reported before it died
    ::close(fds[0]);
    REQUIRE(static_cast<int>(reported.size()) >= kill_after);
    INFO("reported " << reported.size() << " ids");

    auto journal = open_journal(path);
    for (int n : reported) {
        auto record = journal.lookup(request_id(n));
        REQUIRE(record);
        REQUIRE(record->has_value());
        CHECK((*record)->state == S::running);
    }
    // One past the last report may have been committed, or be half-way.
    const int last = *reported.rbegin();
    CHECK(*reported.begin() == 1);
    CHECK(last == static_cast<int>(reported.size()));
    auto next = journal.lookup(request_id(last + 1));
    REQUIRE(next);
    if (next->has_value()) CHECK(((*next)->state == S::queued || (*next)->state == S::running));
    CHECK_FALSE(journal.lookup(request_id(last + 2))->has_value());

    const auto running = *journal.running_count();
    auto report = journal.recover_after_restart(at(1min));
    REQUIRE(report);
    CHECK(report->running_interrupted == running);
    CHECK(report->running_interrupted >= reported.size());
    for (int n : reported) {
        CHECK(journal.lookup(request_id(n))->value().state == S::interrupted);
    }
    CHECK(*journal.running_count() == 0);
}
