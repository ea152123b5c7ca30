#include "agent/runtime/journal_sync.hpp"

#include "agent/journal/file_mode.hpp"
#include "agent/log/log.hpp"

namespace outpost::runtime {

namespace {
constexpr std::string_view kLog = "journal";
}  // namespace

OffLoopSync start_off_loop_sync(transport::EventLoop& loop, const journal::Journal* journal,
                                bool sync_full) {
    OffLoopSync sync;
    if (journal == nullptr || !sync_full) return sync;
    auto thread = journal::WalSyncThread::start(journal::wal_path(journal->path()));
    if (!thread) {
        log::warn(kLog, "journal syncs stay on the event loop: {}", thread.error().message());
        return sync;
    }
    journal::WalSyncThread* raw = thread->get();
    auto watch = transport::FdWatch::create(loop, raw->ready_fd(), [raw] { raw->deliver(); });
    if (!watch) {
        log::warn(kLog, "journal syncs stay on the event loop: {}", watch.error().message());
        return sync;
    }
    sync.thread = std::move(*thread);
    sync.answers = std::move(*watch);
    return sync;
}

}  // namespace outpost::runtime
