#pragma once
// A small RAII wrapper over the SQLite C API, so that the rest of the journal
// speaks our types. Errors are values carrying SQLite's own words and the SQL
// that failed (never the bound values: they may hold command output or env).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "agent/common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace outpost::journal::sqlite {

class Statement;

namespace detail {
struct StatementCache;
struct CachedStatement;
}  // namespace detail

class Database {
  public:
    // Opens an existing file read-write; never creates it and never follows a
    // symlink (the journal creates the file itself, with the mode it wants).
    [[nodiscard]] static Expected<Database> open_existing(const std::filesystem::path& path,
                                                          const std::string& vfs = {});

    Database(Database&& other) noexcept
        : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs SQL whose rows are not needed. A single statement goes through the
    // statement cache like prepare(); text holding several statements (a
    // migration) is handed to sqlite3_exec.
    [[nodiscard]] Expected<void> exec(std::string_view sql);
    // The statement for the first SQL statement of `sql`. It is prepared once
    // and kept for the connection's life (reset and its bindings cleared when
    // the Statement is destroyed), except: PRAGMAs (SQLite applies most of
    // them while preparing, so a kept one would do nothing the second time),
    // text already checked out (nested use gets a fresh statement), and
    // anything past the cache's size limit.
    [[nodiscard]] Expected<Statement> prepare(std::string_view sql);

    // What claim_exclusively found.
    enum class Claim { acquired, held_elsewhere };
    // Makes this connection keep its file locks until it closes
    // (locking_mode=EXCLUSIVE) and takes the exclusive lock now, so no other
    // connection, in this process or another, can read or write the file
    // meanwhile. Must come before the first read: in WAL mode SQLite then
    // keeps the WAL index in heap memory and never creates the -shm file.
    // held_elsewhere: another connection held the lock for the whole busy
    // timeout. Writes nothing to the file.
    [[nodiscard]] Expected<Claim> claim_exclusively();

    // The first `n` bytes of the database file (zeros past its end), read
    // through SQLite's own descriptor before SQLite itself reads anything.
    // Not open() and close() of our own: closing any descriptor of a file
    // drops every POSIX lock the process holds on it, such as the exclusive
    // lock of another connection to the same file in this process.
    [[nodiscard]] Expected<std::string> read_file_start(std::size_t n);

    // fdatasync of the write-ahead log through SQLite's own descriptor, as a
    // synchronous=FULL commit would do: every commit made so far is then
    // durable (group commit, Journal::sync_deferred). Nothing to do while no
    // WAL is open (nothing was written yet).
    [[nodiscard]] Expected<void> sync_wal();

    void set_busy_timeout(int milliseconds);
    // sqlite3_progress_handler: `handler(arg)` every `every` VM steps; a
    // non-zero return interrupts the statement. Null removes it.
    void set_progress_handler(int every, int (*handler)(void*), void* arg);
    [[nodiscard]] std::int64_t changes() const;
    [[nodiscard]] std::int64_t last_insert_rowid() const;

    // The connection's current error, phrased with the SQL that caused it.
    [[nodiscard]] Error error(std::string_view sql) const;

  private:
    explicit Database(sqlite3* db);
    // Prepares the first statement of `sql`, from the cache when it can.
    // *more: text other than blanks follows that first statement.
    [[nodiscard]] Expected<Statement> checkout(std::string_view sql, bool* more);
    // Finalizes the idle cached statements, then closes the connection (it
    // lingers until the Statements still checked out are destroyed).
    void close() noexcept;

    sqlite3* db_ = nullptr;
    // On the heap so it stays put when the Database moves, and shared with
    // the Statements checked out of it, so that one outliving its Database
    // never touches freed memory.
    std::shared_ptr<detail::StatementCache> cache_;
};

class Statement {
  public:
    Statement(Statement&& other) noexcept
        : db_(std::exchange(other.db_, nullptr)),
          stmt_(std::exchange(other.stmt_, nullptr)),
          cache_(std::move(other.cache_)),
          slot_(std::exchange(other.slot_, nullptr)) {}
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite.
    [[nodiscard]] Expected<void> bind(int index, std::int64_t value);
    [[nodiscard]] Expected<void> bind(int index, std::string_view text);
    [[nodiscard]] Expected<void> bind(int index, std::nullopt_t);
    [[nodiscard]] Expected<void> bind(int index, bool value) {
        return bind(index, std::int64_t{value ? 1 : 0});
    }
    [[nodiscard]] Expected<void> bind(int index, int value) {
        return bind(index, std::int64_t{value});
    }
    [[nodiscard]] Expected<void> bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    [[nodiscard]] Expected<void> bind(int index, const char* text) {
        return bind(index, std::string_view(text));
    }
    template <class T>
    [[nodiscard]] Expected<void> bind(int index, const std::optional<T>& value) {
        if (!value) return bind(index, std::nullopt);
        return bind(index, *value);
    }

    // Binds every argument in order, starting at parameter 1.
    template <class... Args>
    [[nodiscard]] Expected<void> bind_all(const Args&... args) {
        int index = 0;
        Expected<void> result;
        (void)((result = bind(++index, args)).has_value() && ...);
        return result;
    }

    // true: a row is ready; false: the statement is done (at once for SQL
    // that holds no statement, only blanks or comments). After a failure the
    // statement is reset, ready to run again.
    [[nodiscard]] Expected<bool> step();
    // Steps to completion, for statements whose rows are not needed.
    [[nodiscard]] Expected<void> run();
    void reset();

    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::int64_t int64(int column) const;
    [[nodiscard]] std::string text(int column) const;
    [[nodiscard]] std::optional<std::int64_t> optional_int64(int column) const;
    [[nodiscard]] std::optional<std::string> optional_text(int column) const;

  private:
    friend class Database;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(sqlite3* db, std::shared_ptr<detail::StatementCache> cache,
              detail::CachedStatement* slot);
    [[nodiscard]] Error error() const;
    [[nodiscard]] Expected<void> check_bind(int rc) const;
    // Gives a cached statement back to its cache, finalizes any other.
    void release() noexcept;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::shared_ptr<detail::StatementCache> cache_;  // set for a cached statement only
    detail::CachedStatement* slot_ = nullptr;
};

// BEGIN IMMEDIATE on construction (so the write lock is taken up front, not
// upgraded half-way), ROLLBACK on destruction unless commit() succeeded.
class Transaction {
  public:
    [[nodiscard]] static Expected<Transaction> begin(Database& db);
    Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    [[nodiscard]] Expected<void> commit();

  private:
    explicit Transaction(Database& db) : db_(&db) {}
    Database* db_ = nullptr;
};

}  // namespace outpost::journal::sqlite
