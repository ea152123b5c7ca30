#pragma once
// inotify for one followed file, as an fd in the service loop: the directory
// (entries named like the file created, moved in or out, deleted) and the
// inodes the source reads (written, truncated, renamed, deleted). Inode
// watches follow a file through a rename, so the renamed file is still
// heard while it is drained; the directory watch sees its successor appear.
//
// A directory that does not exist (yet, or any more) is retried on a timer
// (kDirectoryRetry): docs/log-streaming.md, "A file that is not there".

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/common/error.hpp"
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

    // Watches the inode the path names now; returns its watch descriptor
    // (-1: nothing there). Watching the same inode twice returns the same wd.
    [[nodiscard]] int watch_path_inode();
    // Stops hearing about an inode watched before (after the source left it).
    void unwatch(int wd);

  private:
    FileWatcher(transport::EventLoop& loop, std::string path);
    void try_watch_directory();
    void drain_events();

    std::string path_;
    std::string directory_;
    std::string name_;
    int inotify_fd_ = -1;
    int directory_wd_ = -1;
    std::vector<int> inode_wds_;
    std::unique_ptr<transport::FdWatch> fd_watch_;
    transport::Timer retry_timer_;
    std::function<void()> on_change_;
};

}  // namespace outpost::logs::file
