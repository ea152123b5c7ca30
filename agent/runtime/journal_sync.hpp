#pragma once
// journal.sync: full — the group commit's fdatasync on its own thread
// (agent/journal/wal_sync_thread.hpp), its answers delivered by the loop.

#include <memory>

#include "agent/journal/journal.hpp"
#include "agent/journal/wal_sync_thread.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/fd_watch.hpp"

namespace outpost::runtime {

struct OffLoopSync {
    std::unique_ptr<journal::WalSyncThread> thread;  // null: the loop syncs
    std::unique_ptr<transport::FdWatch> answers;
};

// Nothing for a missing journal or journal.sync: normal (no per-commit
// sync to move). A thread that cannot start is logged, and the loop syncs.
[[nodiscard]] OffLoopSync start_off_loop_sync(transport::EventLoop& loop,
                                              const journal::Journal* journal, bool sync_full);

}  // namespace outpost::runtime
