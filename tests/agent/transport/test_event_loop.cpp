#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <ctime>
#include <functional>
#include <vector>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"

using namespace outpost::transport;
using namespace std::chrono_literals;

namespace {

// run() until something stops the loop, or at the latest after `limit`, when
// a watchdog timer stops it. Returns true when the watchdog had to: a test
// that expects run() to return by itself then fails in seconds, with a
// message, instead of hanging until ctest's timeout.
bool run_with_watchdog(EventLoop& loop, std::chrono::milliseconds limit = 5s) {
    bool watchdog_fired = false;
    Timer watchdog(loop);
    watchdog.schedule(limit, [&] {
        watchdog_fired = true;
        loop.stop();
    });
    loop.run();
    return watchdog_fired;
}

}  // namespace

TEST_CASE("timers fire in order and cancel cleanly") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    std::vector<int> fired;
    Timer a(**loop), b(**loop), c(**loop);
    b.schedule(20ms, [&] { fired.push_back(2); });
    a.schedule(5ms, [&] { fired.push_back(1); });
    c.schedule(10ms, [&] { fired.push_back(3); });
    c.cancel();
    CHECK(a.pending());
    CHECK((*loop)->run_until([&] { return fired.size() == 2; }, 2s));
    CHECK(fired == std::vector<int>{1, 2});
    CHECK_FALSE(a.pending());
    {
        Timer d(**loop);
        d.schedule(1ms, [&] { fired.push_back(4); });
    }  // destroyed: never fires
    (*loop)->run_until([] { return false; }, 30ms);
    CHECK(fired.size() == 2);
}

TEST_CASE("timers wake the loop at their deadline instead of spinning up to it") {
    // lws 4.1's own timers (lws_sul) wake poll() up to 1 ms early and then
    // call poll(.., 0) until the deadline: ~0.5 ms of CPU per timer, on
    // average. 100 timers 5 ms apart spun for ~50 ms of CPU that way; on a
    // timerfd the loop sleeps until each deadline. CPU time, not wall time,
    // so a loaded machine does not change the verdict.
    auto loop = EventLoop::create();
    REQUIRE(loop);
    Timer tick(**loop);
    int fired = 0;
    std::function<void()> again = [&] {
        if (++fired < 100)
            tick.schedule(5ms + std::chrono::microseconds(137 * fired % 1000), again);
    };
    tick.schedule(5ms, again);
    timespec before{}, after{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before);
    CHECK((*loop)->run_until([&] { return fired == 100; }, 10s));
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after);
    const double cpu_ms = static_cast<double>(after.tv_sec - before.tv_sec) * 1e3 +
                          static_cast<double>(after.tv_nsec - before.tv_nsec) / 1e6;
    WARN("100 timers: " << cpu_ms << " ms of the loop thread's CPU");
    CHECK(cpu_ms < 25.0);
}

TEST_CASE("a timer callback may destroy its own timer") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    auto timer = std::make_unique<Timer>(**loop);
    bool fired = false;
    timer->schedule(1ms, [&] {
        fired = true;
        timer.reset();
    });
    CHECK((*loop)->run_until([&] { return fired; }, 2s));
}

TEST_CASE("run_until returns at its deadline and stop() ends run()") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE((*loop)->run_until([] { return false; }, 50ms));
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    Timer t(**loop);
    t.schedule(5ms, [&] { (*loop)->stop(); });
    CHECK_FALSE(run_with_watchdog(**loop));
}

TEST_CASE("signals are delivered inside the loop") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    int got = 0;
    (*loop)->on_signal([&](int signo) { got = signo; });
    REQUIRE(raise(SIGHUP) == 0);  // blocked, so it waits in the signalfd
    CHECK((*loop)->run_until([&] { return got != 0; }, 2s));
    CHECK(got == SIGHUP);
    // SIGPIPE is ignored, not fatal.
    CHECK(raise(SIGPIPE) == 0);
}

TEST_CASE("SIGTERM stops run() when no handler is set") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    REQUIRE(raise(SIGTERM) == 0);
    CHECK_FALSE(run_with_watchdog(**loop));
}

TEST_CASE("SIGTERM goes to the handler and does not stop run() when one is set") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    int got = 0;
    (*loop)->on_signal([&](int signo) { got = signo; });
    REQUIRE(raise(SIGTERM) == 0);
    CHECK(run_with_watchdog(**loop, 300ms));  // only the watchdog ends it
    CHECK(got == SIGTERM);
}

TEST_CASE("FdWatch reports readability and hang-up, the caller keeps its fd") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::string got;
    bool hung_up = false;
    auto watch = FdWatch::create(
        **loop, fds[0],
        [&] {
            char buf[64];
            const ssize_t n = read(fds[0], buf, sizeof buf);
            if (n > 0) got.append(buf, static_cast<size_t>(n));
        },
        [&] { hung_up = true; });
    REQUIRE(watch);
    REQUIRE(write(fds[1], "ping", 4) == 4);
    CHECK((*loop)->run_until([&] { return got == "ping"; }, 2s));
    close(fds[1]);
    CHECK((*loop)->run_until([&] { return hung_up; }, 2s));
    CHECK_FALSE((*watch)->active());
    watch->reset();
    // Our own fd is still ours to close.
    CHECK(close(fds[0]) == 0);
}

TEST_CASE("an FdWatch may be destroyed from its own callback") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::unique_ptr<FdWatch> watch;
    int calls = 0;
    auto created = FdWatch::create(**loop, fds[0], [&] {
        ++calls;
        watch.reset();
    });
    REQUIRE(created);
    watch = std::move(*created);
    REQUIRE(write(fds[1], "x", 1) == 1);
    CHECK((*loop)->run_until([&] { return watch == nullptr; }, 2s));
    (*loop)->run_until([] { return false; }, 20ms);
    CHECK(calls == 1);
    close(fds[0]);
    close(fds[1]);
}

TEST_CASE("a watch destroyed by another watch's callback in the same pass is not called") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    int a[2];
    int b[2];
    REQUIRE(pipe(a) == 0);
    REQUIRE(pipe(b) == 0);
    std::unique_ptr<FdWatch> first;
    std::unique_ptr<FdWatch> second;
    int calls = 0;
    // Whichever runs first destroys both; the other's ready event, already
    // in the same batch, must find nothing.
    auto destroy_both = [&] {
        ++calls;
        first.reset();
        second.reset();
    };
    auto created_a = FdWatch::create(**loop, a[0], destroy_both);
    auto created_b = FdWatch::create(**loop, b[0], destroy_both);
    REQUIRE(created_a);
    REQUIRE(created_b);
    first = std::move(*created_a);
    second = std::move(*created_b);
    REQUIRE(write(a[1], "x", 1) == 1);
    REQUIRE(write(b[1], "y", 1) == 1);
    CHECK((*loop)->run_until([&] { return calls > 0; }, 2s));
    (*loop)->run_until([] { return false; }, 20ms);
    CHECK(calls == 1);
    for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

TEST_CASE("many watches: each is reported, none is lost") {
    auto loop = EventLoop::create();
    REQUIRE(loop);
    // More than one epoll batch (32) ready at once.
    constexpr int kPipes = 80;
    std::vector<std::array<int, 2>> pipes(kPipes);
    std::vector<std::unique_ptr<FdWatch>> watches;
    std::vector<int> seen(kPipes, 0);
    for (int i = 0; i < kPipes; ++i) {
        REQUIRE(pipe(pipes[i].data()) == 0);
        auto watch = FdWatch::create(**loop, pipes[i][0], [&, i] {
            char c;
            if (read(pipes[i][0], &c, 1) == 1) ++seen[i];
        });
        REQUIRE(watch);
        watches.push_back(std::move(*watch));
    }
    for (auto& p : pipes) REQUIRE(write(p[1], "z", 1) == 1);
    CHECK((*loop)->run_until(
        [&] { return std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }); }, 2s));
    watches.clear();
    for (auto& p : pipes) {
        close(p[0]);
        close(p[1]);
    }
}
