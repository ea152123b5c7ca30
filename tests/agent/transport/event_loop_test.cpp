#include <unistd.h>
#include <catch2/catch.hpp>

#include <csignal>

#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"

using namespace outpost::transport;
using namespace std::chrono_literals;

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
    (*loop)->run();  // returns only because of stop()
    SUCCEED();
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
    (*loop)->run();
    SUCCEED();
}

TEST_CASE("FdWatch reports readability and hang-up; the caller keeps its fd") {
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
