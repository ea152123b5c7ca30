// The runner on real processes: exit status, output, stdin, environment,
// run slots, refusal, exec failure.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;
using namespace std::chrono_literals;

TEST_CASE("exit code and both streams are captured", "[runner]") {
    for (const bool sandboxed : {false, true}) {
        Harness h;
        auto r = h.run(spec("/bin/sh", {"-c", "echo out; echo err >&2; exit 3"},
                            sandboxed ? full_profile() : bare_profile()));
        CHECK(r.state == RunState::failed);
        CHECK(r.exit_code == 3);
        CHECK_FALSE(r.signal);
        CHECK(r.stdout_data == "out\n");
        CHECK(r.stderr_data == "err\n");
        CHECK_FALSE(r.stdout_truncated);
        CHECK(r.finished_at >= r.started_at);
    }
    Harness h;
    auto ok = h.run(spec("/bin/true", {}));
    CHECK(ok.state == RunState::succeeded);
    CHECK(ok.exit_code == 0);
}

TEST_CASE("stdin is passed, also when it is larger than a pipe", "[runner]") {
    Harness h;
    auto small = spec("/bin/cat", {});
    small.stdin_data = "hello\n";
    CHECK(h.run(std::move(small)).stdout_data == "hello\n");

    std::string big(3 << 20, 'x');  // larger than any pipe buffer we may get
    for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
    auto large = spec("/bin/cat", {});
    large.stdin_data = big;
    large.max_output_bytes = 4 << 20;
    auto r = h.run(std::move(large));
    CHECK(r.state == RunState::succeeded);
    CHECK(r.stdout_data.size() == big.size());
    CHECK((r.stdout_data == big));  // no operands printed: they are megabytes

    // No stdin: /dev/null, so cat ends at once.
    CHECK(h.run(spec("/bin/cat", {})).stdout_data.empty());
}

TEST_CASE("the child has only fds 0-2 and a clean signal state", "[runner]") {
    const int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
    REQUIRE(leaked >= 3);
    Harness h;  // its loop blocks SIGTERM/INT/HUP and ignores SIGPIPE
    auto r = h.run(spec("/bin/ls", {"/proc/self/fd"}));
    ::close(leaked);
    // 3 is ls's own handle on the directory it lists.
    CHECK(lines(r.stdout_data) == std::vector<std::string>{"0", "1", "2", "3"});

    auto status = h.run(spec("/bin/cat", {"/proc/self/status"}));
    CHECK(status.stdout_data.find("SigBlk:\t0000000000000000") != std::string::npos);
    CHECK(status.stdout_data.find("SigIgn:\t0000000000000000") != std::string::npos);
    CHECK(status.stdout_data.find("NoNewPrivs:\t1") != std::string::npos);
}

TEST_CASE("the environment is exactly the given variables plus PATH, LANG, HOME", "[runner]") {
    ::setenv("LD_PRELOAD", "/nonexistent/evil.so", 1);
    ::setenv("OUTPOST_AGENT_SECRET", "s3cret", 1);
    Harness h;
    auto s = spec("/usr/bin/env", {});
    s.env = {{"FOO", "bar"}, {"LD_LIBRARY_PATH", "/tmp"}, {"PATH", "/evil"}, {"BASH_ENV", "/x"}};
    auto r = h.run(std::move(s));
    ::unsetenv("LD_PRELOAD");
    ::unsetenv("OUTPOST_AGENT_SECRET");
    auto got = lines(r.stdout_data);
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{
                     "FOO=bar", "HOME=/root", "LANG=C.UTF-8",
                     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
}

TEST_CASE("a HOME given with the spec is used as is (no passwd lookup per run)", "[runner]") {
    Harness h;
    auto s = spec("/usr/bin/env", {});
    s.home = "/srv/given-home";
    auto got = lines(h.run(std::move(s)).stdout_data);
    CHECK(std::find(got.begin(), got.end(), "HOME=/srv/given-home") != got.end());
}

TEST_CASE("a missing program is reported as an exec failure", "[runner]") {
    Harness h;
    auto r = h.run(spec("/nonexistent/program", {}));
    CHECK(r.state == RunState::failed);
    CHECK_FALSE(r.exit_code);
    REQUIRE(r.reason);
    CHECK(r.reason->find("exec failed") != std::string::npos);
    CHECK(r.reason->find("No such file or directory") != std::string::npos);
    CHECK(r.exec_failed);  // the typed marker callers decide by

    // Same without a PID namespace (the exec happens in our direct child).
    auto bare = h.run(spec("/nonexistent/program", {}, bare_profile()));
    REQUIRE(bare.reason);
    CHECK(bare.reason->find("exec failed: execve: No such file or directory") != std::string::npos);
    CHECK(bare.exec_failed);

    // A bad working directory is a set-up failure with its step named.
    auto s = spec("/bin/true", {});
    s.working_dir = "/nonexistent-dir";
    auto cd = h.run(std::move(s));
    REQUIRE(cd.reason);
    CHECK(cd.reason->find("chdir") != std::string::npos);
    CHECK(cd.exec_failed);

    // A relative path is refused before anything runs.
    auto refused = h.runner->start(spec("bin/true", {}), [](RunResult) {});
    CHECK_FALSE(refused);
}

TEST_CASE("only a program that never started is marked exec_failed", "[runner]") {
    Harness h;
    // It ran and failed, or was killed: something ran, so no retry may follow.
    auto exited = h.run(spec("/bin/sh", {"-c", "echo exec failed: not really >&2; exit 127"}));
    CHECK(exited.state == RunState::failed);
    CHECK(exited.exit_code == 127);
    CHECK_FALSE(exited.exec_failed);
    auto slow = spec("/bin/sleep", {"5"});
    slow.timeout = 100ms;
    slow.kill_grace = 100ms;
    auto timed_out = h.run(std::move(slow));
    CHECK(timed_out.state == RunState::timed_out);
    CHECK_FALSE(timed_out.exec_failed);
    auto ok = h.run(spec("/bin/true", {}));
    CHECK_FALSE(ok.exec_failed);
}

TEST_CASE("a start beyond max_concurrent is refused, and a freed slot takes the next", "[runner]") {
    // The runner keeps no queue of its own: its caller's is the only one.
    Runner::Options options;
    options.max_concurrent = 2;
    Harness h(probed(), options);
    std::vector<std::string> outputs;
    for (int i = 0; i < 2; ++i) {
        auto s = spec("/bin/sh", {"-c", "sleep 0.1; echo " + std::to_string(i)});
        REQUIRE(
            h.runner->start(std::move(s), [&](RunResult r) { outputs.push_back(r.stdout_data); }));
    }
    CHECK(h.runner->running() == 2);
    auto third = h.runner->start(spec("/bin/true", {}), [](RunResult) { FAIL("must not run"); });
    REQUIRE_FALSE(third);
    CHECK(third.error().kind() == outpost::ErrorKind::unavailable);
    CHECK(h.runner->running() == 2);
    REQUIRE(h.loop->run_until([&] { return outputs.size() == 2; }, 30s));
    CHECK(h.runner->running() == 0);
    std::sort(outputs.begin(), outputs.end());
    CHECK(outputs == std::vector<std::string>{"0\n", "1\n"});
    CHECK(h.run(spec("/bin/true", {})).state == RunState::succeeded);
}

TEST_CASE("cancel: running and unknown runs", "[runner]") {
    Runner::Options options;
    options.max_concurrent = 1;
    Harness h(probed(), options);
    std::optional<RunResult> first;
    auto a =
        h.runner->start(spec("/bin/sleep", {"100"}), [&](RunResult r) { first = std::move(r); });
    REQUIRE(a);
    h.loop->run_until([] { return false; }, 100ms);
    REQUIRE(h.runner->cancel(*a));
    CHECK_FALSE(first);  // never from inside cancel()
    REQUIRE(h.loop->run_until([&] { return first.has_value(); }, 10s));
    CHECK(first->state == RunState::cancelled);
    CHECK(first->signal == "SIGTERM");
    CHECK_FALSE(h.runner->cancel(*a));
    CHECK_FALSE(h.runner->cancel(RunHandle{9999}));
}

TEST_CASE("a run requiring a missing protection is refused, best effort is reported", "[runner]") {
    Capabilities caps = probed();
    caps.set(Protection::landlock, false, "simulated: no Landlock here");
    Harness h(caps);
    auto s = spec("/bin/true", {});
    s.profile.required = {Protection::landlock};
    auto refused = h.runner->start(s, [](RunResult) { FAIL("must not run"); });
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("landlock") != std::string::npos);
    CHECK(refused.error().message().find("simulated") != std::string::npos);

    s.profile.required.clear();
    auto r = h.run(std::move(s));
    CHECK(r.state == RunState::succeeded);
    CHECK(std::count(r.degraded.begin(), r.degraded.end(),
                     "landlock: simulated: no Landlock here") == 1);
}
