#include "agent/logs/file/arrival_tracker.hpp"

#include <sys/inotify.h>

#include <algorithm>

namespace outpost::logs::file {

void ArrivalTracker::name_taken(const std::string& name) {
    // Whatever was at `name` has no name there any more: a file not opened
    // yet is lost to the source (an opened one is held by its descriptor).
    for (auto& arrival : arrivals_) {
        if (!arrival.gone && arrival.moving == 0 && arrival.name == name && !arrival.file) {
            arrival.gone = true;
        }
    }
}

bool ArrivalTracker::on_event(std::uint32_t mask, const std::string& name, std::uint32_t cookie) {
    bool tracked = name == name_;
    if (mask & IN_MOVED_FROM) {
        for (auto& arrival : arrivals_) {
            if (arrival.gone || arrival.moving != 0 || arrival.name != name) continue;
            arrival.moving = cookie;
            tracked = true;
        }
        return tracked;
    }
    if (mask & (IN_CREATE | IN_MOVED_TO)) {
        name_taken(name);
        if (std::find(reused_.begin(), reused_.end(), name) == reused_.end()) {
            reused_.push_back(name);
        }
        bool moved_here = false;
        if (mask & IN_MOVED_TO) {
            for (auto& arrival : arrivals_) {
                if (arrival.moving == 0 || arrival.moving != cookie) continue;
                arrival.name = name;
                arrival.moving = 0;
                moved_here = true;
                tracked = true;
            }
        }
        // A file renamed back to the path is the one already tracked, not a
        // new one after the others.
        if (name == name_ && !moved_here) {
            arrivals_.push_back(Arrival{name_, false, 0, std::nullopt, {}});
            if (arrivals_.size() > kMaxTracked) {
                arrivals_.pop_front();
                ++dropped_;
            }
        }
        return tracked;
    }
    if (mask & IN_DELETE) {
        for (const auto& arrival : arrivals_) {
            tracked = tracked || (!arrival.gone && arrival.name == name);
        }
        name_taken(name);
    }
    return tracked;
}

void ArrivalTracker::on_queue_empty() {
    for (auto& arrival : arrivals_) {
        if (arrival.moving == 0) continue;
        arrival.moving = 0;
        if (!arrival.file) arrival.gone = true;
    }
}

bool ArrivalTracker::name_reused(const std::string& name) const {
    return std::find(reused_.begin(), reused_.end(), name) != reused_.end();
}

}  // namespace outpost::logs::file
