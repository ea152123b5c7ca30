// The group commit's fdatasync on its own thread: it syncs the journal's real
// WAL file, reports failures with the file's name, answers through an
// eventfd the loop can poll, and never leaves a sync behind when destroyed.
// A fault only shows through the sync call tests may pass: no disk fails or
// stalls on demand.

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/wal_sync_thread.hpp"
#include "journal_fixture.hpp"
#include "sync_gate.hpp"

using namespace journal_test;
using outpost::Expected;

namespace {

bool readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

}  // namespace

TEST_CASE("the sync thread fdatasyncs the journal's own WAL and answers through its eventfd",
          "[journal][group][thread]") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    journal->defer_syncs();
    REQUIRE_OK(journal->start_new(spec("t-1"), at(), at(1ms)));
    CHECK(journal->hand_off_deferred_sync());
    CHECK_FALSE(journal->syncs_deferred());  // later commits sync themselves
    CHECK(journal->group_syncs() == 1);

    struct stat wal_stat {};
    REQUIRE(::stat(j::wal_path(journal->path()).c_str(), &wal_stat) == 0);
    std::atomic<int> synced_files_matching{0};
    auto thread = j::WalSyncThread::start(j::wal_path(journal->path()), [&](int fd) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_ino == wal_stat.st_ino && st.st_dev == wal_stat.st_dev)
            ++synced_files_matching;
        return ::fdatasync(fd);
    });
    REQUIRE_OK(thread);
    std::optional<Expected<void>> answer;
    (*thread)->begin([&](Expected<void> a) { answer = std::move(a); });
    CHECK((*thread)->in_flight());
    REQUIRE(readable((*thread)->ready_fd(), 10'000));
    CHECK_FALSE(answer.has_value());  // only deliver() runs the callback, on the caller's thread
    (*thread)->deliver();
    REQUIRE(answer.has_value());
    REQUIRE_OK(*answer);
    CHECK_FALSE((*thread)->in_flight());
    CHECK(synced_files_matching == 1);

    // A second sync reuses the descriptor; deliver() without an answer is a no-op.
    (*thread)->deliver();
    answer.reset();
    (*thread)->begin([&](Expected<void> a) { answer = std::move(a); });
    (*thread)->wait();
    REQUIRE(answer.has_value());
    REQUIRE_OK(*answer);
    CHECK(synced_files_matching == 2);
}

TEST_CASE("a failed fdatasync is reported with the WAL's name and the errno text",
          "[journal][group][thread]") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    auto thread = j::WalSyncThread::start(j::wal_path(journal->path()), [](int) {
        errno = EIO;
        return -1;
    });
    REQUIRE_OK(thread);
    std::optional<Expected<void>> answer;
    (*thread)->begin([&](Expected<void> a) { answer = std::move(a); });
    (*thread)->wait();
    REQUIRE(answer.has_value());
    REQUIRE_FALSE(answer->has_value());
    const std::string message = answer->error().message();
    CHECK_THAT(message, Catch::Contains("fdatasync of the write-ahead log"));
    CHECK_THAT(message, Catch::Contains("j.db-wal"));
    CHECK_THAT(message, Catch::Contains("Input/output error"));
}

TEST_CASE(
    "the WAL is opened at start, a missing one is an error then, a replaced one fails "
    "every sync",
    "[journal][group][thread]") {
    TempDir dir;
    auto missing = j::WalSyncThread::start(dir.file("gone.db-wal"));
    REQUIRE_FALSE(missing.has_value());
    CHECK_THAT(missing.error().message(), Catch::Contains("opening the write-ahead log"));
    CHECK_THAT(missing.error().message(), Catch::Contains("No such file or directory"));

    // A journal opened again (its WAL was removed at the last close) has
    // one as soon as open() returns: the thread can start right after.
    { REQUIRE_OK(j::Journal::open(dir.file("j.db"), j::SyncMode::full)); }
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    const auto wal = j::wal_path(journal->path());
    auto thread = j::WalSyncThread::start(wal);
    REQUIRE_OK(thread);

    // Replaced behind SQLite's back (a restore, an operator's mv): SQLite
    // still writes the file it holds, so syncing the new one would prove
    // nothing.
    std::filesystem::rename(wal, dir.file("moved-wal"));
    { std::ofstream(wal) << ""; }
    std::optional<Expected<void>> answer;
    (*thread)->begin([&](Expected<void> a) { answer = std::move(a); });
    (*thread)->wait();
    REQUIRE(answer.has_value());
    REQUIRE_FALSE(answer->has_value());
    CHECK_THAT(answer->error().message(), Catch::Contains("was removed or replaced"));
    std::filesystem::remove(wal);
    std::filesystem::rename(dir.file("moved-wal"), wal);
}

TEST_CASE("the caller's thread goes on while a sync is slow", "[journal][group][thread]") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    SyncGate gate;
    auto thread = j::WalSyncThread::start(j::wal_path(journal->path()), gate.call());
    REQUIRE_OK(thread);
    bool called = false;
    (*thread)->begin([&](Expected<void>) { called = true; });
    gate.wait_entered(1);
    // The journal stays usable meanwhile (the point of the thread).
    REQUIRE_OK(journal->start_new(spec("meanwhile"), at(), at(1ms)));
    CHECK_FALSE(readable((*thread)->ready_fd(), 50));
    std::this_thread::sleep_for(30ms);
    gate.let_through();
    REQUIRE(readable((*thread)->ready_fd(), 10'000));
    (*thread)->deliver();
    CHECK(called);
    CHECK((*thread)->last_sync_took() >= 80ms);  // held at the gate at least 50 + 30 ms
}

TEST_CASE("destroyed right after begin(), the thread still makes the requested sync",
          "[journal][group][thread]") {
    TempDir dir;
    auto journal = j::Journal::open(dir.file("j.db"), j::SyncMode::full);
    REQUIRE_OK(journal);
    std::atomic<int> syncs{0};
    auto thread = j::WalSyncThread::start(j::wal_path(journal->path()), [&](int fd) {
        ++syncs;
        return ::fdatasync(fd);
    });
    REQUIRE_OK(thread);
    (*thread)->begin([](Expected<void>) {});
    thread->reset();
    CHECK(syncs == 1);
}
