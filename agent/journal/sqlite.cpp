#include "agent/journal/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <limits>

namespace outpost::journal::sqlite {

namespace {

Error make_error(sqlite3* db, std::string_view sql) {
    const int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
    const char* words = db ? sqlite3_errmsg(db) : "out of memory";
    return Error(fmt::format("SQLite: {} (code {}) in: {}", words, code, sql));
}

}  // namespace

Expected<Database> Database::open_existing(const std::filesystem::path& path) {
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Database db(raw);  // closes the handle on every path, also after a failed open
    if (rc != SQLITE_OK) {
        return std::unexpected(db.error(fmt::format("open {}", path.string())));
    }
    return db;
}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

Database::~Database() {
    sqlite3_close_v2(db_);
}

Expected<void> Database::exec(std::string_view sql) {
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return std::unexpected(error(sql));
    }
    return {};
}

Expected<Statement> Database::prepare(std::string_view sql) {
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return fail("SQL text too long");
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return std::unexpected(error(sql));
    }
    return Statement(db_, stmt);
}

void Database::set_busy_timeout(int milliseconds) {
    sqlite3_busy_timeout(db_, milliseconds);
}

std::int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

Error Database::error(std::string_view sql) const {
    return make_error(db_, sql);
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Error Statement::error() const {
    const char* sql = sqlite3_sql(stmt_);
    return make_error(db_, sql ? sql : "?");
}

Expected<void> Statement::check_bind(int rc) const {
    if (rc != SQLITE_OK) return std::unexpected(error());
    return {};
}

Expected<void> Statement::bind(int index, std::int64_t value) {
    return check_bind(sqlite3_bind_int64(stmt_, index, value));
}

Expected<void> Statement::bind(int index, std::string_view text) {
    // SQLITE_TRANSIENT: SQLite copies the bytes, so temporaries are safe. A
    // default string_view has a null data(), which SQLite would bind as NULL.
    const char* bytes = text.data() ? text.data() : "";
    return check_bind(
        sqlite3_bind_text64(stmt_, index, bytes, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

Expected<void> Statement::bind(int index, std::nullopt_t) {
    return check_bind(sqlite3_bind_null(stmt_, index));
}

Expected<bool> Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error failure = error();
    sqlite3_reset(stmt_);
    return std::unexpected(std::move(failure));
}

Expected<void> Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return {};
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
    const auto* bytes = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (!bytes) return {};
    return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
}

Expected<Transaction> Transaction::begin(Database& db) {
    if (auto ok = db.exec("BEGIN IMMEDIATE"); !ok) return std::unexpected(ok.error());
    return Transaction(db);
}

Transaction::~Transaction() {
    // A failed COMMIT may already have rolled back; ROLLBACK then just fails.
    if (db_) (void)db_->exec("ROLLBACK");
}

Expected<void> Transaction::commit() {
    if (!db_) return fail("transaction already finished");
    auto ok = db_->exec("COMMIT");
    if (ok) db_ = nullptr;
    return ok;
}

}  // namespace outpost::journal::sqlite
