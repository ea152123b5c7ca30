// A journal that went backwards (issue 14): a lost, truncated or damaged
// WAL, a 0-byte or replaced journal.db, a journal restored from an older
// copy is refused at open, with the cause and the way out; a clean restart,
// a kill -9 and a power cut mid-batch are not. Real SQLite files throughout.
//
// A kill -9 is simulated by copying the files while the journal is open:
// SQLite has written every commit to the -wal (in the page cache), which is
// exactly what the next process would find. A power cut is simulated by
// copying the -wal as it was at the last sync.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/mark_file.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kFiles = {"journal.db", "journal.db-wal", "journal.mark"};

// Copies the journal's files, as they are now, from one directory to another.
void copy_files(const fs::path& from, const fs::path& to,
                const std::vector<std::string>& names = kFiles) {
    for (const std::string& name : names) {
        std::error_code ignored;
        fs::remove(to / name, ignored);
        if (fs::exists(from / name)) fs::copy_file(from / name, to / name);
    }
}

// A journal that ran a few commands (two durable commits each), one still
// running: the review.
void run_commands(j::Journal& journal, int first, int n) {
    for (int i = first; i < first + n; ++i) {
        const std::string id = fmt::format("a-{}", i);
        REQUIRE_OK(journal.start_new(spec(id), at(), at()));
        if (i != first + n - 1) REQUIRE_OK(journal.finish(id, result(j::CommandState::succeeded)));
    }
}

std::string open_error(const fs::path& path, j::SyncMode sync = j::SyncMode::full) {
    auto journal = j::Journal::open(path, sync);
    if (journal) FAIL("the journal opened, but it went backwards");
    CHECK(journal.error().kind() == outpost::ErrorKind::journal);
    return journal.error().message();
}

void require_went_backwards(const fs::path& path, const std::string& cause) {
    const std::string why = open_error(path);
    INFO(why);
    CHECK(contains(why, "went backwards"));
    CHECK(contains(why, cause));
    CHECK(contains(why, "outpost journal accept-reset"));
}

std::uint64_t file_generation(const fs::path& db) {
    auto mark = j::read_mark(j::mark_path(db));
    REQUIRE(mark);
    REQUIRE(*mark);
    return (*mark)->generation;
}

void overwrite(const fs::path& path, std::size_t offset, std::size_t n) {
    std::mt19937 random(7);
    std::string garbage(n, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, garbage.data(), n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n));
    ::close(fd);
}

// A journal in `live` that ran four commands, copied as a kill -9 leaves it
// to `crashed`.
void crash_after_four_commands(const TempDir& live, const TempDir& crashed) {
    auto journal = open_journal(live.file("journal.db"));
    run_commands(journal, 1, 4);
    copy_files(live.path(), crashed.path());
}

}  // namespace

TEST_CASE("a kill -9 leaves a journal that opens, and its mark file follows the syncs") {
    TempDir live;
    TempDir crashed;
    crash_after_four_commands(live, crashed);
    auto reopened = open_journal(crashed.file("journal.db"));
    auto row = reopened.lookup("a-4");
    REQUIRE(row);
    REQUIRE(*row);
    CHECK((*row)->state == j::CommandState::running);
    CHECK(file_generation(crashed.file("journal.db")) <= reopened.mark().generation);
    CHECK(file_generation(crashed.file("journal.db")) > 0);
}

TEST_CASE("a WAL deleted after a kill -9 is detected, not a fresh start") {
    TempDir live;
    TempDir crashed;
    crash_after_four_commands(live, crashed);
    fs::remove(crashed.file("journal.db-wal"));
    require_went_backwards(crashed.file("journal.db"), "journal.db-wal");
    // Refused, and left as it is: nothing was written to it.
    CHECK(!fs::exists(crashed.file("journal.db-wal")));
}

TEST_CASE("a WAL truncated after a kill -9 is detected") {
    TempDir live;
    TempDir crashed;
    crash_after_four_commands(live, crashed);
    const fs::path wal = crashed.file("journal.db-wal");
    const auto full = fs::file_size(wal);
    SECTION("to nothing") {
        fs::resize_file(wal, 0);
    }
    SECTION("to its header") {
        fs::resize_file(wal, 32);
    }
    SECTION("to half") {
        fs::resize_file(wal, full / 2);
    }
    SECTION("by its last frame") {
        fs::resize_file(wal, full - 4096 - 24);
    }
    require_went_backwards(crashed.file("journal.db"), "generation");
}

TEST_CASE("a WAL filled with garbage after a kill -9 is detected") {
    TempDir live;
    TempDir crashed;
    crash_after_four_commands(live, crashed);
    const fs::path wal = crashed.file("journal.db-wal");
    SECTION("all of it") {
        overwrite(wal, 0, fs::file_size(wal));
    }
    SECTION("its header") {
        overwrite(wal, 0, 32);
    }
    SECTION("its second half") {
        const auto size = fs::file_size(wal);
        overwrite(wal, size / 2, size - size / 2);
    }
    require_went_backwards(crashed.file("journal.db"), "journal");
}

TEST_CASE("a 0-byte or missing journal.db beside a mark file is detected") {
    TempDir live;
    TempDir crashed;
    crash_after_four_commands(live, crashed);
    fs::remove(crashed.file("journal.db-wal"));
    SECTION("0 bytes") {
        fs::resize_file(crashed.file("journal.db"), 0);
    }
    SECTION("missing") {
        fs::remove(crashed.file("journal.db"));
    }
    require_went_backwards(crashed.file("journal.db"), "holds no journal epoch");
}

TEST_CASE("a journal restored from an older copy is detected") {
    TempDir live;
    TempDir older;
    {
        auto journal = open_journal(live.file("journal.db"));
        run_commands(journal, 1, 2);
        copy_files(live.path(), older.path(), {"journal.db", "journal.db-wal"});
        run_commands(journal, 3, 2);
    }  // closed cleanly: the WAL is checkpointed into journal.db
    copy_files(older.path(), live.path(), {"journal.db", "journal.db-wal"});
    require_went_backwards(live.file("journal.db"), "restored from an older copy");
}

TEST_CASE("another journal put in place of this one is detected") {
    TempDir mine;
    TempDir other;
    {
        auto journal = open_journal(mine.file("journal.db"));
        run_commands(journal, 1, 2);
    }
    {
        auto journal = open_journal(other.file("journal.db"));
        run_commands(journal, 1, 9);
    }
    copy_files(other.path(), mine.path(), {"journal.db", "journal.db-wal"});
    require_went_backwards(mine.file("journal.db"), "another journal");
}

TEST_CASE("clean restarts never trip the check, and the generation only advances") {
    TempDir dir;
    const fs::path path = dir.file("journal.db");
    std::string epoch;
    std::uint64_t last = 0;
    for (int round = 0; round < 4; ++round) {
        auto journal = open_journal(path);
        if (round == 0) epoch = journal.mark().epoch;
        CHECK(journal.mark().epoch == epoch);
        CHECK(journal.mark().generation >= last);
        run_commands(journal, round * 10, 3);
        last = journal.mark().generation;
        CHECK(file_generation(path) == last);
    }
}

TEST_CASE("a kill -9 or a power cut in the middle of a group-commit batch is not a false alarm") {
    TempDir live;
    TempDir crashed;
    auto journal = open_journal(live.file("journal.db"));
    run_commands(journal, 1, 2);
    // The WAL as the last sync left it: what a power cut keeps.
    TempDir synced;
    copy_files(live.path(), synced.path());
    const std::uint64_t before = file_generation(live.file("journal.db"));

    journal.defer_syncs();
    REQUIRE(journal.syncs_deferred());
    run_commands(journal, 10, 3);
    // Not synced yet: the mark file must not claim those commits.
    CHECK(file_generation(live.file("journal.db")) == before);
    CHECK(journal.mark().generation == before + 1);  // one advance for the batch

    SECTION("kill -9 before the batch's sync") {
        copy_files(live.path(), crashed.path());
        auto reopened = open_journal(crashed.file("journal.db"));
        CHECK(*reopened.count(j::CommandState::running) == 2);
    }
    SECTION("power cut before the batch's sync: its commits are lost with the WAL's tail") {
        copy_files(synced.path(), crashed.path(), {"journal.db", "journal.db-wal"});
        copy_files(live.path(), crashed.path(), {"journal.mark"});
        auto reopened = open_journal(crashed.file("journal.db"));
        CHECK(*reopened.count(j::CommandState::running) == 1);
    }
    SECTION("after the batch's sync, losing its commits is detected") {
        REQUIRE_OK(journal.sync_deferred());
        CHECK(file_generation(live.file("journal.db")) == before + 1);
        copy_files(synced.path(), crashed.path(), {"journal.db", "journal.db-wal"});
        copy_files(live.path(), crashed.path(), {"journal.mark"});
        require_went_backwards(crashed.file("journal.db"), "generation");
    }
}

TEST_CASE("a sync handed off to the thread moves the mark only once it is confirmed") {
    TempDir dir;
    const fs::path path = dir.file("journal.db");
    auto journal = open_journal(path);
    const std::uint64_t before = file_generation(path);
    journal.defer_syncs();
    run_commands(journal, 1, 2);
    REQUIRE(journal.hand_off_deferred_sync());
    CHECK(file_generation(path) == before);
    journal.confirm_handed_off_sync();
    CHECK(file_generation(path) == before + 1);
}

TEST_CASE("outbox writes, never synced on their own, do not move the mark") {
    TempDir dir;
    const fs::path path = dir.file("journal.db");
    auto journal = open_journal(path);
    const std::uint64_t before = file_generation(path);
    for (int i = 0; i < 3; ++i) REQUIRE_OK(journal.enqueue(j::OutboxKind::health, "{}", at()));
    CHECK(journal.mark().generation == before + 1);
    CHECK(file_generation(path) == before);
    REQUIRE_OK(journal.start_new(spec("a-1"), at(), at()));  // a FULL commit syncs them all
    CHECK(file_generation(path) == before + 1);
}

TEST_CASE("with journal.sync: normal the mark follows at maintenance, after a sync") {
    TempDir dir;
    TempDir crashed;
    const fs::path path = dir.file("journal.db");
    auto journal = open_journal(path, j::SyncMode::normal);
    const std::uint64_t before = file_generation(path);
    run_commands(journal, 1, 3);
    CHECK(file_generation(path) == before);
    REQUIRE_OK(journal.prune(std::chrono::hours(24), at()));
    CHECK(file_generation(path) == journal.mark().generation);
    CHECK(journal.mark().generation > before);
    copy_files(dir.path(), crashed.path());
    fs::remove(crashed.file("journal.db-wal"));
    require_went_backwards(crashed.file("journal.db"), "journal");
}

TEST_CASE("accept-reset starts a new epoch, and the journal opens again with its history") {
    TempDir live;
    TempDir crashed;
    crash_after_four_commands(live, crashed);
    const fs::path path = crashed.file("journal.db");
    const std::string old_epoch = open_journal(live.file("journal.db")).mark().epoch;
    // The WAL's tail is cut: the database keeps what was checkpointed or
    // survives in the WAL's valid frames.
    fs::resize_file(crashed.file("journal.db-wal"),
                    fs::file_size(crashed.file("journal.db-wal")) / 2);
    (void)open_error(path);
    auto reset = j::Journal::accept_reset(path, j::Options{});
    REQUIRE_OK(reset);
    CHECK(reset->epoch != old_epoch);
    CHECK(j::read_mark(j::mark_path(path))->value() == *reset);
    auto reopened = open_journal(path);
    CHECK(reopened.mark().epoch == reset->epoch);
    auto first = reopened.lookup("a-1");  // what survived is still answered from
    REQUIRE(first);
    CHECK(first->has_value());
}

TEST_CASE("accept-reset waits for no running agent: a journal in use is not reset") {
    TempDir dir;
    const fs::path path = dir.file("journal.db");
    auto journal = open_journal(path);
    j::Options options;
    options.busy_timeout = std::chrono::milliseconds(50);
    auto reset = j::Journal::accept_reset(path, options);
    REQUIRE(!reset);
    CHECK(contains(reset.error().message(), "locked by another process"));
    CHECK(j::read_mark(j::mark_path(path))->value() == journal.mark());
}

TEST_CASE("a lost mark file is made again from the journal, and then guards it") {
    TempDir dir;
    TempDir crashed;
    const fs::path path = dir.file("journal.db");
    std::string epoch;
    {
        auto journal = open_journal(path);
        run_commands(journal, 1, 2);
        epoch = journal.mark().epoch;
    }
    fs::remove(j::mark_path(path));
    auto journal = open_journal(path);
    CHECK(journal.mark().epoch == epoch);
    auto mark = j::read_mark(j::mark_path(path));
    REQUIRE(mark);
    REQUIRE(*mark);
    CHECK((*mark)->epoch == epoch);
    run_commands(journal, 5, 2);
    copy_files(dir.path(), crashed.path());
    fs::remove(crashed.file("journal.db-wal"));
    require_went_backwards(crashed.file("journal.db"), "journal");
}

TEST_CASE("the mark file survives a torn slot, and a damaged or exposed one is refused") {
    TempDir dir;
    const fs::path path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        run_commands(journal, 1, 3);
    }
    const fs::path mark = j::mark_path(path);
    SECTION("one slot torn: the other holds a mark") {
        overwrite(mark, 0, 40);
        CHECK(open_journal(path).mark().generation > 0);
    }
    SECTION("both slots damaged: refused, and accept-reset makes it whole") {
        overwrite(mark, 0, 40);
        overwrite(mark, 512, 40);
        const std::string why = open_error(path);
        CHECK(contains(why, "damaged"));
        auto reset = j::Journal::accept_reset(path, j::Options{});
        REQUIRE_OK(reset);
        CHECK(open_journal(path).mark() == *reset);
    }
    SECTION("readable by others: refused, also by accept-reset") {
        REQUIRE(::chmod(mark.c_str(), 0644) == 0);
        auto journal = j::Journal::open(path, j::SyncMode::full);
        REQUIRE(!journal);
        CHECK(contains(journal.error().message(), "mode 0644"));
        auto reset = j::Journal::accept_reset(path, j::Options{});
        REQUIRE(!reset);
        CHECK(contains(reset.error().message(), "mode 0644"));
    }
}

TEST_CASE("the mark file is 0600 and names its epoch in plain text") {
    TempDir dir;
    const fs::path path = dir.file("journal.db");
    auto journal = open_journal(path);
    struct stat st {};
    REQUIRE(::stat(j::mark_path(path).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    std::ifstream in(j::mark_path(path));
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    CHECK(contains(text, "outpost-journal-mark 1 " + journal.mark().epoch));
}
