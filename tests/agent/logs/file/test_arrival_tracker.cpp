// The bookkeeping of the files that came to a followed path, from directory
// events alone (no kernel): the names they have now, and which are gone.
#include <sys/inotify.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/logs/file/arrival_tracker.hpp"

using outpost::logs::file::ArrivalTracker;
using outpost::logs::file::kMaxTracked;

namespace {

// Names of the arrivals, oldest first; "-" for one gone.
std::vector<std::string> names(ArrivalTracker& tracker) {
    std::vector<std::string> out;
    for (const auto& arrival : tracker.arrivals()) out.push_back(arrival.gone ? "-" : arrival.name);
    return out;
}

// logrotate's `create` with `rotate keep`: the oldest deleted, each other
// renamed one number up, the file renamed to .1, a new one created.
void rotate(ArrivalTracker& tracker, int keep, std::uint32_t& cookie) {
    tracker.on_event(IN_DELETE, "app.log." + std::to_string(keep), 0);
    for (int n = keep - 1; n >= 1; --n) {
        ++cookie;
        tracker.on_event(IN_MOVED_FROM, "app.log." + std::to_string(n), cookie);
        tracker.on_event(IN_MOVED_TO, "app.log." + std::to_string(n + 1), cookie);
    }
    ++cookie;
    tracker.on_event(IN_MOVED_FROM, "app.log", cookie);
    tracker.on_event(IN_MOVED_TO, "app.log.1", cookie);
    tracker.on_event(IN_CREATE, "app.log", 0);
}

}  // namespace

TEST_CASE("arrival tracker: files renamed away are found under their new names") {
    ArrivalTracker tracker("app.log");
    std::uint32_t cookie = 0;
    for (int i = 0; i < 3; ++i) rotate(tracker, 5, cookie);
    tracker.on_queue_empty();
    CHECK(names(tracker) == std::vector<std::string>{"app.log.2", "app.log.1", "app.log"});
}

TEST_CASE("arrival tracker: a file deleted by the rotation count before it was opened is gone") {
    ArrivalTracker tracker("app.log");
    std::uint32_t cookie = 0;
    for (int i = 0; i < 4; ++i) rotate(tracker, 2, cookie);
    tracker.on_queue_empty();
    CHECK(names(tracker) == std::vector<std::string>{"-", "app.log.2", "app.log.1", "app.log"});
}

TEST_CASE("arrival tracker: renamed over, moved out, moved back") {
    ArrivalTracker tracker("app.log");
    tracker.on_event(IN_CREATE, "app.log", 0);
    tracker.on_event(IN_MOVED_FROM, "app.log", 7);
    tracker.on_event(IN_MOVED_TO, "old", 7);
    tracker.on_event(IN_CREATE, "app.log", 0);
    // Another file renamed over "old": the first is gone.
    tracker.on_event(IN_MOVED_FROM, "other", 8);
    tracker.on_event(IN_MOVED_TO, "old", 8);
    // The second moved out of the directory (no IN_MOVED_TO follows).
    tracker.on_event(IN_MOVED_FROM, "app.log", 9);
    tracker.on_queue_empty();
    CHECK(names(tracker) == std::vector<std::string>{"-", "-"});
    // A file moved in from elsewhere is a new arrival; renamed back to the
    // path it is still the same one.
    tracker.on_event(IN_MOVED_TO, "app.log", 10);
    tracker.on_event(IN_MOVED_FROM, "app.log", 11);
    tracker.on_event(IN_MOVED_TO, "app.log.tmp", 11);
    tracker.on_event(IN_MOVED_FROM, "app.log.tmp", 12);
    tracker.on_event(IN_MOVED_TO, "app.log", 12);
    tracker.on_queue_empty();
    CHECK(names(tracker) == std::vector<std::string>{"-", "-", "app.log"});
}

TEST_CASE("arrival tracker: other names of the directory are not tracked, reused names are told") {
    ArrivalTracker tracker("app.log");
    CHECK_FALSE(tracker.on_event(IN_CREATE, "other.log", 0));
    CHECK(tracker.on_event(IN_CREATE, "app.log", 0));
    CHECK(tracker.arrivals().size() == 1);
    tracker.forget_names();
    CHECK(tracker.on_event(IN_MOVED_FROM, "app.log", 3));
    CHECK(tracker.on_event(IN_MOVED_TO, "app.log.1", 3));
    CHECK(tracker.name_reused("app.log.1"));
    CHECK_FALSE(tracker.name_reused("app.log"));
    tracker.forget_names();
    CHECK_FALSE(tracker.name_reused("app.log.1"));
}

TEST_CASE("arrival tracker: past kMaxTracked the oldest are given up and counted") {
    ArrivalTracker tracker("app.log");
    std::uint32_t cookie = 0;
    for (std::size_t i = 0; i < kMaxTracked + 3; ++i) {
        ++cookie;
        tracker.on_event(IN_CREATE, "app.log", 0);
        tracker.on_event(IN_MOVED_FROM, "app.log", cookie);
        tracker.on_event(IN_MOVED_TO, "app.log." + std::to_string(i), cookie);
    }
    CHECK(tracker.arrivals().size() == kMaxTracked);
    CHECK(tracker.arrivals().front().name == "app.log.3");
    CHECK(tracker.take_dropped() == 3);
    CHECK(tracker.take_dropped() == 0);
}
