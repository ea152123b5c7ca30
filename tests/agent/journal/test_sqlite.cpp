// The SQLite wrapper's statement cache: a kept statement comes back reset,
// with no bindings, usable after a failure; nested use, moves and a Statement
// outliving its Database are safe; PRAGMAs are never kept.

#include <optional>
#include <string>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/sqlite.hpp"
#include "journal_fixture.hpp"

using namespace journal_test;
namespace sq = outpost::journal::sqlite;

namespace {

sq::Database make_database(const TempDir& dir) {
    const auto path = dir.file("cache.db");
    REQUIRE(j::create_private_file(path));
    auto db = sq::Database::open_existing(path);
    REQUIRE(db);
    REQUIRE_OK(
        db->exec("CREATE TABLE t (value INTEGER PRIMARY KEY); "
                 "INSERT INTO t VALUES (1), (2), (3);"));
    return std::move(*db);
}

constexpr const char* kAll = "SELECT value FROM t ORDER BY value";

}  // namespace

TEST_CASE("a kept statement comes back from the start, without its bindings") {
    TempDir dir;
    auto db = make_database(dir);
    {
        auto stmt = db.prepare(kAll);
        REQUIRE(stmt);
        REQUIRE(*stmt->step());
        CHECK(stmt->int64(0) == 1);
        REQUIRE(*stmt->step());  // left in the middle of its rows
    }
    {
        auto stmt = db.prepare(kAll);
        REQUIRE(stmt);
        REQUIRE(*stmt->step());
        CHECK(stmt->int64(0) == 1);
    }
    const std::string echo = "SELECT ?";
    {
        auto stmt = db.prepare(echo);
        REQUIRE(stmt);
        REQUIRE_OK(stmt->bind_all("secret"));
        REQUIRE(*stmt->step());
        CHECK(stmt->text(0) == "secret");
    }
    auto stmt = db.prepare(echo);
    REQUIRE(stmt);
    REQUIRE(*stmt->step());
    CHECK(stmt->is_null(0));
}

TEST_CASE("nested use of the same SQL gets two independent statements") {
    TempDir dir;
    auto db = make_database(dir);
    auto outer = db.prepare(kAll);
    REQUIRE(outer);
    REQUIRE(*outer->step());
    {
        auto inner = db.prepare(kAll);
        REQUIRE(inner);
        for (int want = 1; want <= 3; ++want) {
            REQUIRE(*inner->step());
            CHECK(inner->int64(0) == want);
        }
        CHECK_FALSE(*inner->step());
    }
    CHECK(outer->int64(0) == 1);
    REQUIRE(*outer->step());
    CHECK(outer->int64(0) == 2);
    auto again = db.prepare(kAll);  // the outer one is still out
    REQUIRE(again);
    REQUIRE(*again->step());
    CHECK(again->int64(0) == 1);
}

TEST_CASE("a statement that failed is usable again, and its error has no bound values") {
    TempDir dir;
    auto db = make_database(dir);
    const std::string insert = "INSERT INTO t (value) VALUES (?)";
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto stmt = db.prepare(insert);
        REQUIRE(stmt);
        REQUIRE_OK(stmt->bind_all(std::int64_t{2}));
        auto failed = stmt->run();
        REQUIRE_FALSE(failed);
        const auto& message = failed.error().message();
        INFO(message);
        CHECK(contains(message, "UNIQUE constraint failed"));
        CHECK(contains(message, insert));
        // The same statement, right after its failure.
        stmt->reset();
        REQUIRE_OK(stmt->bind_all(std::int64_t{10 + attempt}));
        REQUIRE_OK(stmt->run());
    }
    CHECK(first_text(db, "SELECT group_concat(value) FROM t") == "1,2,3,10,11");
}

TEST_CASE("exec runs single statements, several statements, and reports SQLite's words") {
    TempDir dir;
    auto db = make_database(dir);
    REQUIRE_OK(db.exec("DELETE FROM t WHERE value = 1"));
    REQUIRE_OK(db.exec("DELETE FROM t WHERE value = 1"));  // again, from the cache
    REQUIRE_OK(db.exec("INSERT INTO t VALUES (7); INSERT INTO t VALUES (8);"));
    REQUIRE_OK(db.exec("  "));
    CHECK(first_text(db, "SELECT group_concat(value) FROM t") == "2,3,7,8");
    auto missing = db.exec("DELETE FROM nowhere");
    REQUIRE_FALSE(missing);
    CHECK(contains(missing.error().message(), "no such table: nowhere"));
    CHECK(contains(missing.error().message(), "in: DELETE FROM nowhere"));
    auto twice = db.exec("INSERT INTO t VALUES (9); INSERT INTO t VALUES (9);");
    REQUIRE_FALSE(twice);
    CHECK(contains(twice.error().message(), "UNIQUE constraint failed"));
}

TEST_CASE("PRAGMAs take effect every time they run") {
    // SQLite applies these while preparing them: a kept statement would not.
    TempDir dir;
    auto db = make_database(dir);
    for (const char* level : {"2", "1", "2", "1"}) {
        REQUIRE_OK(db.exec(std::string("PRAGMA synchronous=") + level));
        CHECK(first_text(db, "PRAGMA synchronous") == level);
    }
    for (const char* flag : {"1", "0", "1"}) {
        REQUIRE_OK(db.exec(std::string("PRAGMA foreign_keys=") + flag));
        CHECK(first_text(db, "PRAGMA foreign_keys") == flag);
    }
}

TEST_CASE("transactions through the cache commit and roll back") {
    TempDir dir;
    auto db = make_database(dir);
    for (int round = 0; round < 3; ++round) {
        {
            auto tx = sq::Transaction::begin(db);
            REQUIRE(tx);
            REQUIRE_OK(db.exec("DELETE FROM t"));
        }  // rolled back
        auto tx = sq::Transaction::begin(db);
        REQUIRE(tx);
        REQUIRE_OK(db.exec("UPDATE t SET value = value + 10"));
        REQUIRE_OK(tx->commit());
    }
    CHECK(first_text(db, "SELECT group_concat(value) FROM t") == "31,32,33");
}

TEST_CASE("a moved Database keeps its statements, one outliving it is safe") {
    TempDir dir;
    std::optional<sq::Database> db{make_database(dir)};
    auto kept = db->prepare(kAll);
    REQUIRE(kept);
    REQUIRE(*kept->step());

    sq::Database moved = std::move(*db);
    db.reset();
    CHECK(kept->int64(0) == 1);
    CHECK(first_text(moved, kAll) == "1");  // nested: kAll is still out
    REQUIRE(*kept->step());
    CHECK(kept->int64(0) == 2);

    {
        auto idle = moved.prepare("SELECT count(*) FROM t");  // back in the cache at once
        REQUIRE(idle);
    }
    { sq::Database gone = std::move(moved); }  // closes with `kept` still out
    // `kept` is finalized when it goes, after the Database: under ASan this
    // shows it touches no freed memory.
}
