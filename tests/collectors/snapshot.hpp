#pragma once
// Where the saved /proc snapshots are (testdata/<host>/proc.1 and proc.2: two
// readings, for the collectors that need deltas), and a request for them.

#include <chrono>
#include <string>

#include "collectors/collector.hpp"

namespace outpost::collectors::test {

inline std::string snapshot_proc(const std::string& host, int reading = 1) {
    return std::string(OUTPOST_SOURCE_DIR "/tests/collectors/testdata/") + host + "/proc." +
           std::to_string(reading);
}

inline Roots snapshot_roots(const std::string& host, int reading = 1) {
    return Roots{snapshot_proc(host, reading), "/nonexistent-sys"};
}

// A request at `now` with a generous deadline.
inline CollectRequest request_at(std::chrono::steady_clock::time_point now,
                                 std::chrono::seconds budget = std::chrono::seconds(10)) {
    return CollectRequest{now, now + budget};
}

inline CollectRequest request_now(std::chrono::seconds budget = std::chrono::seconds(10)) {
    return request_at(std::chrono::steady_clock::now(), budget);
}

}  // namespace outpost::collectors::test
