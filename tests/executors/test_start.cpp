// The start is asynchronous: the child sets itself up (namespaces, mounts,
// seccomp, Landlock) while the loop goes on; a stop during set-up works.

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "agent/transport/timer.hpp"
#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string marker() {
    return "0.98" + std::to_string(::getpid()) +
           std::to_string(Clock::now().time_since_epoch().count() % 100000);
}

}  // namespace

TEST_CASE("the loop is serviced while a sandboxed command sets itself up", "[runner][start]") {
    Harness h;
    (void)h.run(spec("/bin/true", {}));  // warm caches
    int serviced = 0;
    for (int attempt = 0; attempt < 5; ++attempt) {
        outpost::transport::Timer tick(*h.loop);
        std::optional<Clock::time_point> ticked, done_at;
        std::optional<RunResult> result;
        tick.schedule(1ms, [&] { ticked = Clock::now(); });
        const auto t0 = Clock::now();
        auto handle = h.runner->start(spec("/bin/true", {}), [&](RunResult r) {
            done_at = Clock::now();
            result = std::move(r);
        });
        const auto start_took = Clock::now() - t0;
        REQUIRE(handle);
        REQUIRE(h.loop->run_until([&] { return result.has_value(); }, 30s));
        CHECK(result->state == RunState::succeeded);
        REQUIRE(ticked);
        const auto total = *done_at - t0;
        UNSCOPED_INFO("start() "
                      << std::chrono::duration_cast<std::chrono::microseconds>(start_took).count()
                      << " us, timer after "
                      << std::chrono::duration_cast<std::chrono::microseconds>(*ticked - t0).count()
                      << " us, result after "
                      << std::chrono::duration_cast<std::chrono::microseconds>(total).count()
                      << " us");
        // start() only forks; the timer runs during the set-up, well before
        // the result (a blocking start would put both near the end).
        if (start_took < total / 2 && *ticked - t0 < total / 2) ++serviced;
    }
    CHECK(serviced >= 3);  // scheduling noise may spoil an attempt
}

TEST_CASE("a run stopped while it sets itself up", "[runner][start][kill]") {
    for (const bool pid_ns : {false, true}) {
        for (const bool by_cancel : {true, false}) {
            Harness h;
            auto profile = full_profile();
            profile.own_pid_namespace = pid_ns;
            const std::string m = marker();
            auto s = spec("/bin/sleep", {m}, profile);
            s.timeout = by_cancel ? 10s : 1ms;
            std::optional<RunResult> result;
            auto handle =
                h.runner->start(std::move(s), [&](RunResult r) { result = std::move(r); });
            REQUIRE(handle);
            if (by_cancel) REQUIRE(h.runner->cancel(*handle));
            REQUIRE(h.loop->run_until([&] { return result.has_value(); }, 10s));
            CHECK(result->state == (by_cancel ? RunState::cancelled : RunState::timed_out));
            CHECK(result->reason.value_or("").find("exec failed") == std::string::npos);
            CHECK(processes_with("sleep " + m).empty());
            CHECK(h.runner->running() == 0);
            // The runner goes on as before.
            auto after = h.run(spec("/bin/echo", {"ok"}, profile));
            CHECK(after.stdout_data == "ok\n");
        }
    }
}
