#pragma once
// For group commit tests: the test plays the event loop's "start of the
// next pass", running the flush the dispatcher scheduled when it chooses.

#include <chrono>
#include <functional>

#include "agent/dispatch/dispatcher.hpp"
#include "agent/transport/event_loop.hpp"

namespace outpost::dispatch::test {

struct FlushPasses {
    Dispatcher::Schedule schedule() {
        return [this](std::function<void()> flush) {
            ++scheduled;
            pending_flush = std::move(flush);
        };
    }
    // What the loop does at the start of its next pass.
    void next_pass() {
        if (!pending_flush) return;
        auto flush = std::move(pending_flush);
        pending_flush = nullptr;
        flush();
    }
    // Runs loop passes (the scheduled flushes, and whatever the loop
    // delivers meanwhile) until `done`, `passes` × 50 ms at most.
    bool settle_on(transport::EventLoop& loop, const std::function<bool()>& done,
                   int passes = 200) {
        for (int i = 0; i < passes; ++i) {
            next_pass();
            if (done()) return true;
            loop.run_until([&] { return pending_flush != nullptr || done(); },
                           std::chrono::milliseconds(50));
        }
        return done();
    }

    std::function<void()> pending_flush;
    int scheduled = 0;
};

}  // namespace outpost::dispatch::test
