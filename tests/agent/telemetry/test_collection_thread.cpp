// The collection thread and run_collectors: one failing, throwing or
// absent collector never stops the others; jobs come back to the caller's
// thread in order; a stuck job does not hold the destructor past its limit.

#include <poll.h>
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "agent/telemetry/collection_thread.hpp"
#include "agent/telemetry/run_collectors.hpp"
#include "test_collectors.hpp"

namespace {

using namespace std::chrono_literals;
using namespace outpost;
using namespace outpost::telemetry_test;
using protocol::outbound::CollectorProblem;
using telemetry::CollectionThread;
using telemetry::CollectorOutcome;

collectors::CollectRequest request_for(std::chrono::milliseconds budget) {
    const auto now = std::chrono::steady_clock::now();
    return {.now = now, .deadline = now + budget};
}

bool wait_readable(int fd, std::chrono::milliseconds limit) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
}

}  // namespace

TEST_CASE("run_collectors: a failing, a throwing and an absent collector, the others still run") {
    telemetry::CollectorSet set;
    set.push_back(std::make_unique<ThrowingCollector>());
    set.push_back(std::make_unique<FailingCollector>());
    set.push_back(std::make_unique<AbsentCollector>());
    set.push_back(std::make_unique<UptimeCollector>());
    auto collected = telemetry::run_collectors(set, request_for(1s));
    CHECK(collected.sample.system.uptime_s == 1);
    REQUIRE(collected.sample.collectors.size() == 3);
    CHECK(collected.sample.collectors[0].collector == "cpu");
    CHECK(collected.sample.collectors[0].state == CollectorProblem::State::failed);
    CHECK(collected.sample.collectors[0].message == "threw: bug");
    CHECK(collected.sample.collectors[1].collector == "disks");
    CHECK(collected.sample.collectors[1].state == CollectorProblem::State::failed);
    CHECK(collected.sample.collectors[1].message == "mountinfo unreadable");
    CHECK(collected.sample.collectors[2].collector == "containers");
    CHECK(collected.sample.collectors[2].state == CollectorProblem::State::skipped);
    REQUIRE(collected.outcomes.size() == 4);
    CHECK(collected.outcomes[3].state == CollectorOutcome::State::ok);
}

TEST_CASE("run_collectors: a collector's note goes into the sample as partial, beside its values") {
    // The real disks collector on a snapshot with more file systems than
    // its cap would note the cut; a note is a note, whoever writes it.
    class NotingCollector : public collectors::Collector {
      public:
        [[nodiscard]] std::string_view name() const override { return "memory"; }
        Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                                protocol::outbound::Telemetry& sample) override {
            sample.system.uptime_s = 7;
            return collectors::Collected{
                .skipped = false, .why = {}, .note = "no MemAvailable: MemFree+Buffers+Cached"};
        }
    };
    telemetry::CollectorSet set;
    set.push_back(std::make_unique<NotingCollector>());
    auto collected = telemetry::run_collectors(set, request_for(1s));
    CHECK(collected.sample.system.uptime_s == 7);
    REQUIRE(collected.sample.collectors.size() == 1);
    CHECK(collected.sample.collectors[0].collector == "memory");
    CHECK(collected.sample.collectors[0].state == CollectorProblem::State::partial);
    CHECK(collected.sample.collectors[0].message == "no MemAvailable: MemFree+Buffers+Cached");
    CHECK(collected.outcomes[0].state == CollectorOutcome::State::ok);
}

TEST_CASE("collection thread: jobs run off the caller's thread and come back in order") {
    auto thread = CollectionThread::start();
    REQUIRE(thread);
    const auto caller = std::this_thread::get_id();
    std::vector<int> delivered;
    std::vector<std::thread::id> ran_on;
    std::mutex m;
    for (int i = 0; i < 3; ++i) {
        (*thread)->submit([&, i]() -> CollectionThread::Continuation {
            {
                std::lock_guard lock(m);
                ran_on.push_back(std::this_thread::get_id());
            }
            return [&delivered, i] { delivered.push_back(i); };
        });
    }
    CHECK((*thread)->pending() == 3);
    while (delivered.size() < 3) {
        REQUIRE(wait_readable((*thread)->ready_fd(), 5000ms));
        (*thread)->deliver();
    }
    CHECK(delivered == std::vector<int>{0, 1, 2});
    CHECK((*thread)->pending() == 0);
    for (auto id : ran_on) CHECK(id != caller);
}

TEST_CASE(
    "collection thread: a job stuck past its deadline holds the stop for kJoinLimit at most") {
    auto thread = CollectionThread::start();
    REQUIRE(thread);
    auto gate = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
    auto released = std::make_shared<bool>(false);
    auto started = std::make_shared<std::atomic<bool>>(false);
    (*thread)->submit([gate, released, started]() -> CollectionThread::Continuation {
        *started = true;
        std::unique_lock lock(gate->first);
        gate->second.wait(lock, [&] { return *released; });
        return {};
    });
    while (!*started) std::this_thread::sleep_for(1ms);
    const auto before = std::chrono::steady_clock::now();
    thread->reset();
    const auto took = std::chrono::steady_clock::now() - before;
    CHECK(took >= CollectionThread::kJoinLimit);
    CHECK(took < CollectionThread::kJoinLimit + 2s);
    // Let the detached thread finish; it owns what it touches.
    {
        std::lock_guard lock(gate->first);
        *released = true;
    }
    gate->second.notify_all();
    std::this_thread::sleep_for(100ms);
}
