// Opening the journal: schema and migrations, file modes, corrupt files.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <vector>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/schema.hpp"
#include "agent/journal/sqlite.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;
namespace sq = outpost::journal::sqlite;

namespace {

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const std::string& bytes, mode_t mode = 0600) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    REQUIRE(::fchmod(fd, mode) == 0);
    ::close(fd);
}

// A raw SQLite file made through the wrapper, e.g. an old or foreign journal.
void make_raw_database(const std::filesystem::path& path, const std::string& sql) {
    REQUIRE(j::create_private_file(path));
    auto db = sq::Database::open_existing(path);
    REQUIRE(db);
    auto ok = db->exec(sql);
    if (!ok) FAIL(ok.error().message());
}

// A closed journal with enough commands to span several pages.
void make_full_journal(const std::filesystem::path& path) {
    auto journal = open_journal(path, j::SyncMode::normal);  // fast; durability is not tested here
    for (int i = 0; i < 200; ++i) {
        auto s = spec(fmt::format("req-{}", i));
        s.args = {std::string(200, 'a'), "b"};
        REQUIRE_OK(journal.queue(s, at()));
    }
}

}  // namespace

TEST_CASE("a new journal gets the current schema and keeps it on reopen") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    {
        auto journal = open_journal(path);
        CHECK(journal.schema_version() == j::current_schema_version());
        REQUIRE_OK(journal.queue(spec("a"), at()));
    }
    {
        auto journal = open_journal(path);
        CHECK(journal.schema_version() == j::current_schema_version());
        auto found = journal.lookup("a");
        REQUIRE(found);
        CHECK(found->has_value());
    }
    // Closed first: an open journal keeps other connections out.
    auto db = sq::Database::open_existing(path);
    REQUIRE(db);
    CHECK(first_text(*db, "PRAGMA user_version") == std::to_string(j::current_schema_version()));
    CHECK(first_text(*db, "PRAGMA journal_mode") == "wal");
}

TEST_CASE("an empty version-0 database is migrated") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    make_raw_database(path, "CREATE TABLE unrelated (x INTEGER); PRAGMA user_version = 0;");
    auto journal = open_journal(path);
    CHECK(journal.schema_version() == j::current_schema_version());
    CHECK(journal.queue(spec("a"), at()));

    SECTION("an existing zero-byte file is an empty database too") {
        const auto empty = dir.file("empty.db");
        write_file(empty, "");
        CHECK(open_journal(empty).schema_version() == j::current_schema_version());
    }
}

TEST_CASE("migration steps apply in order, one transaction each, and stop at a failure") {
    TempDir dir;
    const auto path = dir.file("raw.db");
    REQUIRE(j::create_private_file(path));
    auto db = sq::Database::open_existing(path);
    REQUIRE(db);
    const j::Migration steps[] = {
        {1, "one", "CREATE TABLE a (x INTEGER);"},
        {2, "two", "CREATE TABLE b (x INTEGER);"},
        {3, "broken", "CREATE TABLE c (x INTEGER); CREATE TABLE a (y INTEGER);"},
    };
    auto first = j::migrate(*db, std::span(steps).first(2));
    REQUIRE(first);
    CHECK(*first == 2);
    auto again = j::migrate(*db, std::span(steps).first(2));  // nothing left to do
    REQUIRE(again);
    CHECK(*again == 2);

    auto broken = j::migrate(*db, steps);
    REQUIRE_FALSE(broken);
    CHECK(contains(broken.error().message(), "schema version 3 (broken)"));
    CHECK(contains(broken.error().message(), "already exists"));
    CHECK(*j::read_user_version(*db) == 2);
    CHECK_FALSE(db->exec("SELECT * FROM c"));  // rolled back with its step
}

TEST_CASE("a journal from a newer agent is refused") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    make_raw_database(path, "PRAGMA user_version = 99;");
    const auto before = read_all(path);
    auto journal = j::Journal::open(path, j::SyncMode::full);
    REQUIRE_FALSE(journal);
    const auto& message = journal.error().message();
    CHECK(contains(message, path.string()));
    CHECK(contains(message, "schema version 99"));
    CHECK(contains(message, "newer"));
    CHECK(read_all(path) == before);
}

TEST_CASE("the journal and its -wal are created 0600 whatever the umask, and no -shm") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    const mode_t old_mask = ::umask(GENERATE(mode_t{0}, mode_t{022}, mode_t{002}));
    auto journal = j::Journal::open(path, j::SyncMode::full);
    ::umask(old_mask);
    REQUIRE(journal);
    REQUIRE_OK(journal->queue(spec("a"), at()));  // makes sure the WAL holds a frame
    CHECK(mode_of(path) == 0600);
    REQUIRE(std::filesystem::exists(j::wal_path(path)));
    CHECK(mode_of(j::wal_path(path)) == 0600);
    // Exclusive locking keeps the WAL index in memory: no -shm to protect.
    CHECK_FALSE(std::filesystem::exists(j::shm_path(path)));
}

TEST_CASE("a -shm left by an older agent is kept private and does not stop the journal") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    { auto journal = open_journal(path); }
    write_file(j::shm_path(path), std::string(32768, '\0'), 0600);
    auto journal = open_journal(path);
    REQUIRE_OK(journal.queue(spec("a"), at()));
    CHECK(mode_of(j::shm_path(path)) == 0600);
    CHECK(journal.lookup("a")->has_value());
}

TEST_CASE("a journal that group or others can read is refused, and left as it is") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    { auto journal = open_journal(path); }

    SECTION("the database file") {
        REQUIRE(::chmod(path.c_str(), 0644) == 0);
        auto journal = j::Journal::open(path, j::SyncMode::full);
        REQUIRE_FALSE(journal);
        CHECK(contains(journal.error().message(), path.string()));
        CHECK(contains(journal.error().message(), "mode 0644"));
        CHECK(mode_of(path) == 0644);
    }
    SECTION("a -wal left behind") {
        write_file(j::wal_path(path), "", 0640);
        auto journal = j::Journal::open(path, j::SyncMode::full);
        REQUIRE_FALSE(journal);
        CHECK(contains(journal.error().message(), j::wal_path(path).string()));
        CHECK(contains(journal.error().message(), "mode 0640"));
    }
    SECTION("a symlink") {
        const auto link = dir.file("link.db");
        std::filesystem::create_symlink(path, link);
        auto journal = j::Journal::open(link, j::SyncMode::full);
        REQUIRE_FALSE(journal);
        CHECK(contains(journal.error().message(), "not a regular file"));
    }
}

TEST_CASE("a file of garbage is refused with a clear error and never touched") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    std::mt19937 random(7);
    std::string garbage(8192, '\0');
    for (auto& c : garbage) c = static_cast<char>(random());

    SECTION("not even the SQLite header") {
        write_file(path, garbage);
    }
    SECTION("the SQLite header, then garbage") {
        write_file(path, std::string("SQLite format 3\0", 16) + garbage);
    }
    const auto before = read_all(path);
    auto journal = j::Journal::open(path, j::SyncMode::full);
    REQUIRE_FALSE(journal);
    const auto& message = journal.error().message();
    INFO(message);
    CHECK(contains(message, path.string()));
    CHECK(contains(message, "corrupt or not a journal"));
    CHECK(contains(message, "left as it is"));
    CHECK(read_all(path) == before);
    CHECK(mode_of(path) == 0600);
}

TEST_CASE("a truncated journal is refused with SQLite's words and never touched") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    make_full_journal(path);
    REQUIRE_FALSE(std::filesystem::exists(j::wal_path(path)));  // checkpointed on close
    const auto full_size = std::filesystem::file_size(path);
    REQUIRE(full_size > 8 * 4096);
    std::filesystem::resize_file(path, full_size / 2);
    const auto before = read_all(path);

    auto journal = j::Journal::open(path, j::SyncMode::full);
    REQUIRE_FALSE(journal);
    const auto& message = journal.error().message();
    INFO(message);
    CHECK(contains(message, path.string()));
    CHECK(contains(message, "SQLite"));
    CHECK(contains(message, "malformed"));
    CHECK(read_all(path) == before);
}

TEST_CASE("a page damaged inside a journal fails the quick check") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    make_full_journal(path);
    auto bytes = read_all(path);
    // Scribble over the middle of page 3 (a b-tree page of the commands).
    for (std::size_t i = 2 * 4096 + 8; i < 2 * 4096 + 2048; ++i) bytes[i] = '\x5a';
    write_file(path, bytes);

    auto journal = j::Journal::open(path, j::SyncMode::full);
    REQUIRE_FALSE(journal);
    INFO(journal.error().message());
    CHECK(contains(journal.error().message(), path.string()));
    CHECK(contains(journal.error().message(), "corrupt or not a journal"));
    CHECK(read_all(path) == bytes);
}

namespace {

constexpr const char* kProbeVariable = "OUTPOST_JOURNAL_PROBE";

// Runs the probe below in a new process (this test binary, exec'ed afresh,
// so it shares no SQLite state with this one); true if it passed.
bool another_process_is_refused(const std::filesystem::path& path) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::setenv(kProbeVariable, path.c_str(), 1);
        ::execl("/proc/self/exe", "test_journal", "[probe]", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

// Hidden ([.]): run only by another_process_is_refused, as a second agent.
TEST_CASE("probe: a second process cannot open the journal in use", "[.probe]") {
    const char* path = std::getenv(kProbeVariable);
    REQUIRE(path);
    j::Options options;
    options.busy_timeout = 100ms;
    auto journal = j::Journal::open(path, options);
    REQUIRE_FALSE(journal);
    INFO(journal.error().message());
    CHECK(contains(journal.error().message(), "another process"));
}

TEST_CASE("a journal in use cannot be opened again until it is closed") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    std::optional<j::Journal> first{open_journal(path)};
    REQUIRE_OK(first->queue(spec("a"), at()));

    j::Options options;
    options.busy_timeout = 200ms;
    const auto started = std::chrono::steady_clock::now();
    // SQLite's POSIX locks see both connections, also in one process.
    auto second = j::Journal::open(path, options);
    const auto waited = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(second);
    const auto& message = second.error().message();
    INFO(message);
    CHECK(contains(message, path.string()));
    CHECK(contains(message, "another process"));
    CHECK(contains(message, "node.state_dir"));
    CHECK_FALSE(contains(message, "corrupt"));
    CHECK_FALSE(contains(message, "database is locked"));
    CHECK(waited >= 150ms);  // it did wait for the busy timeout...
    CHECK(waited < 3s);      // ...and no longer

    // The first keeps working, and keeps its lock: the failed open closed
    // no descriptor of the file (that would have dropped the POSIX lock).
    REQUIRE_OK(first->mark_running("a", at(1s)));
    REQUIRE_OK(first->start_new(spec("b"), at(), at(1s)));
    CHECK(first->lookup("a")->value().state == j::CommandState::running);
    CHECK(another_process_is_refused(path));

    first.reset();
    auto third = j::Journal::open(path, options);
    REQUIRE(third);
    CHECK(third->lookup("a")->value().state == j::CommandState::running);
    CHECK(third->lookup("b")->has_value());
}

TEST_CASE("another process cannot open a journal in use") {
    TempDir dir;
    const auto path = dir.file("journal.db");
    auto journal = open_journal(path);
    REQUIRE_OK(journal.queue(spec("a"), at()));
    CHECK(another_process_is_refused(path));
    REQUIRE_OK(journal.mark_running("a", at(1s)));
}

TEST_CASE("sync modes parse from their config names") {
    CHECK(j::parse_sync_mode("full") == j::SyncMode::full);
    CHECK(j::parse_sync_mode("normal") == j::SyncMode::normal);
    CHECK_FALSE(j::parse_sync_mode("off"));
    CHECK(j::to_string(j::SyncMode::normal) == "normal");
}
