#pragma once
// statvfs with a deadline. statvfs has no timeout, and on a hung NFS server
// it blocks in the kernel (uninterruptibly with `hard` mounts) for as long as
// the server is gone. So the calls of one pass run in order on one helper
// thread, and the caller stops waiting at the deadline: the mount whose call
// is still running is remembered as hung, and no later pass calls statvfs on
// it again until that stuck call has returned — at most one stuck thread
// per hung mount, never a pile-up.

#include <sys/statvfs.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace outpost::collectors {

// ::statvfs, or a stand-in in tests (statvfs_runner's hang test).
using StatvfsFunction = std::function<int(const char* path, struct statvfs* out)>;

struct StatvfsOutcome {
    enum class State {
        ok,           // `stats` is valid
        failed,       // statvfs failed with `error` (errno)
        hung,         // this pass's call did not return by the deadline
        still_hung,   // an earlier pass's call has not returned; not called again
        not_reached,  // a call before it in the pass took until the deadline
    } state = State::not_reached;
    struct statvfs stats {};
    int error = 0;
};

class StatvfsRunner {
  public:
    explicit StatvfsRunner(StatvfsFunction statvfs_function);
    StatvfsRunner(const StatvfsRunner&) = delete;
    StatvfsRunner& operator=(const StatvfsRunner&) = delete;
    // Does not wait for a stuck call: its thread is detached and owns what it
    // touches (shared state), so it may outlive the runner.
    ~StatvfsRunner();

    // One outcome per path, in order; returns by `deadline` (plus the time to
    // start a thread).
    [[nodiscard]] std::vector<StatvfsOutcome> run(const std::vector<std::string>& paths,
                                                  std::chrono::steady_clock::time_point deadline);

    // Helper threads still stuck in a call (for tests and status).
    [[nodiscard]] std::size_t stuck_threads() const;

    struct Shared;  // the hung set, shared with stuck threads

  private:
    StatvfsFunction statvfs_;
    std::shared_ptr<Shared> shared_;
};

}  // namespace outpost::collectors
