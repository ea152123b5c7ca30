#pragma once
// inotify for one followed file, as an fd in the service loop: the directory
// (entries named like the file created, moved in or out, deleted) and the
// inodes the source reads (written, truncated, renamed, deleted). Inode
// watches follow a file through a rename, so the renamed file is still
// heard while it is drained; the directory watch sees its successor appear.
//
// Every file that comes to the path is followed by name through the
// directory's renames until the source takes it (take_arrivals), so none is
// skipped however many rotations happen before the loop looks
// (arrival_tracker.hpp).
//
// A directory that does not exist (yet, or any more) is retried on a timer
// (kDirectoryRetry): docs/log-streaming.md, "A file that is not there".

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"
#include "agent/logs/file/arrival_tracker.hpp"
#include "agent/logs/file/open_file.hpp"
#include "agent/transport/fd_watch.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::transport {
class EventLoop;
}

namespace outpost::logs::file {

inline constexpr std::chrono::seconds kDirectoryRetry{1};

class FileWatcher {
  public:
    // `on_change` runs (from the loop) after any event about the file; it
    // may be spurious. Fails only when inotify itself cannot be had.
    [[nodiscard]] static Expected<std::unique_ptr<FileWatcher>> create(
        transport::EventLoop& loop, const std::string& path, std::function<void()> on_change);
    ~FileWatcher();
    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

    // Watches the inode of an open file (through /proc/self/fd, so whatever
    // its name is now); returns the watch descriptor (-1: could not).
    // Watching the same inode twice returns the same wd.
    [[nodiscard]] int watch_inode(const OpenFile& file);

    // The files that came to the path since the last call, oldest first,
    // each opened under the name it has now and watched; nullopt for one
    // that was gone (deleted, renamed over, moved out of the directory)
    // before it could be opened: its lines are missed. Reads the pending
    // events first; what else they said is told through on_change later.
    [[nodiscard]] std::vector<std::optional<OpenFile>> take_arrivals();
    // Why an arrival was refused rather than missed (a planted symbolic or
    // hard link, open_file.hpp), once; the source ends its stream with it.
    [[nodiscard]] std::optional<std::string> take_refusal() {
        return std::exchange(refused_, std::nullopt);
    }
    // Stops hearing about an inode watched before (after the source left it).
    void unwatch(int wd);

  private:
    FileWatcher(transport::EventLoop& loop, std::string path);
    void try_watch_directory();
    void drain_events();
    // Reads the queued events into the tracker; true when one concerned the
    // file. Sets directory_lost_ when the directory went.
    bool read_events();
    void open_arrivals();

    std::string path_;
    std::string directory_;
    std::string name_;
    int inotify_fd_ = -1;
    int directory_wd_ = -1;
    std::vector<int> inode_wds_;
    ArrivalTracker tracker_;
    bool directory_lost_ = false;
    std::unique_ptr<transport::FdWatch> fd_watch_;
    transport::Timer retry_timer_;
    transport::Timer notify_timer_;  // on_change for events take_arrivals read
    std::function<void()> on_change_;
    std::optional<std::string> refused_;  // see take_refusal()
};

}  // namespace outpost::logs::file
