#pragma once
// The files that came to a followed path, followed by name through the
// renames of their directory until the source has opened them (issue 16).
//
// A writer at full speed under logrotate's `create` can have a file created
// at the path, written, and renamed away (app.log -> app.log.1 -> ...) before
// the loop gets to look at the path: opening the path then finds only the
// newest file, and the ones in between are skipped. inotify's directory
// events say all of it, in order: IN_CREATE / IN_MOVED_TO of the name is a
// new file at the path, IN_MOVED_FROM + IN_MOVED_TO with the same cookie is
// a rename inside the directory, IN_DELETE (or a rename over it) is a file
// gone. Replaying them tells, for each file that ever was at the path, the
// name it has now, where it can still be opened.
//
// Pure bookkeeping of the events: every case is tested without the kernel.
// The watcher (file_watcher) feeds it and opens what it names.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/logs/file/open_file.hpp"

namespace outpost::logs::file {

// Files tracked at once: past this the oldest is given up (the source counts
// it missed): the source would be that many rotations behind.
inline constexpr std::size_t kMaxTracked = 64;

class ArrivalTracker {
  public:
    // `name`: the followed file's name in its directory.
    explicit ArrivalTracker(std::string name) : name_(std::move(name)) {}

    // One directory event (IN_* mask bits, the entry's name, the cookie that
    // pairs IN_MOVED_FROM with its IN_MOVED_TO). Returns true when it is about
    // the path or a file that came to it.
    bool on_event(std::uint32_t mask, const std::string& name, std::uint32_t cookie);
    // The event queue was read to its end: a rename whose IN_MOVED_TO did not
    // come took the file out of the directory (the kernel queues both at once).
    void on_queue_empty();

    struct Arrival {
        std::string name;              // where it is now, as far as the events read tell
        bool gone = false;             // deleted, renamed over, or moved out of the directory
        std::uint32_t moving = 0;      // IN_MOVED_FROM's cookie until its IN_MOVED_TO
        std::optional<OpenFile> file;  // opened by the watcher
        std::string opened_as;         // the name it was opened (or tried) under
    };
    // Oldest first.
    [[nodiscard]] std::deque<Arrival>& arrivals() { return arrivals_; }

    // Whether a file came to `name` (created, or renamed or moved there)
    // since forget_names(): a file opened under that name before these events
    // were read may be that newcomer instead of the one tracked.
    [[nodiscard]] bool name_reused(const std::string& name) const;
    void forget_names() { reused_.clear(); }

    // Arrivals given up past kMaxTracked since the last call.
    [[nodiscard]] std::size_t take_dropped() { return std::exchange(dropped_, 0); }

  private:
    void name_taken(const std::string& name);

    std::string name_;
    std::deque<Arrival> arrivals_;
    std::vector<std::string> reused_;
    std::size_t dropped_ = 0;
};

}  // namespace outpost::logs::file
