#pragma once
// A small RAII wrapper over the SQLite C API, so that the rest of the journal
// speaks our types. Errors are values carrying SQLite's own words and the SQL
// that failed (never the bound values: they may hold command output or env).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "agent/common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace outpost::journal::sqlite {

class Statement;

class Database {
  public:
    // Opens an existing file read-write; never creates it and never follows a
    // symlink (the journal creates the file itself, with the mode it wants).
    [[nodiscard]] static Expected<Database> open_existing(const std::filesystem::path& path);

    Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs one or more statements that return no rows we need.
    [[nodiscard]] Expected<void> exec(std::string_view sql);
    [[nodiscard]] Expected<Statement> prepare(std::string_view sql);

    void set_busy_timeout(int milliseconds);
    [[nodiscard]] std::int64_t changes() const;
    [[nodiscard]] std::int64_t last_insert_rowid() const;

    // The connection's current error, phrased with the SQL that caused it.
    [[nodiscard]] Error error(std::string_view sql) const;

  private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

class Statement {
  public:
    Statement(Statement&& other) noexcept
        : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}
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

    // true: a row is ready; false: the statement is done.
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
    [[nodiscard]] Error error() const;
    [[nodiscard]] Expected<void> check_bind(int rc) const;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
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
