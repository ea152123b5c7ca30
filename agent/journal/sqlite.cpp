#include "agent/journal/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <functional>
#include <limits>
#include <unordered_map>

namespace outpost::journal::sqlite {

namespace detail {

struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;  // checked out by a live Statement
};

// Lets the map be searched with a string_view, without building a string.
struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};

struct StatementCache {
    // The journal uses a few dozen fixed SQL texts; the bound only keeps a
    // caller that builds SQL text on the fly from growing it without end.
    static constexpr std::size_t kMaxStatements = 128;

    bool open = true;  // false once the Database closed
    // Node-based: a CachedStatement stays put while others come and go.
    std::unordered_map<std::string, CachedStatement, TextHash, std::equal_to<>> statements;
};

}  // namespace detail

namespace {

Error make_error(sqlite3* db, std::string_view sql) {
    const int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
    const char* words = db ? sqlite3_errmsg(db) : "out of memory";
    return Error(fmt::format("SQLite: {} (code {}) in: {}", words, code, sql));
}

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n\f\v;") == std::string_view::npos;
}

// SQLite runs most PRAGMAs while it prepares them (synchronous, foreign_keys,
// locking_mode, and the value a read like `PRAGMA foreign_keys` answers), so
// a kept statement would silently do nothing, or answer a stale value, when
// stepped again. They are prepared every time.
bool is_pragma(std::string_view sql) {
    constexpr std::string_view kPragma = "pragma";
    const auto start = sql.find_first_not_of(" \t\r\n\f\v");
    if (start == std::string_view::npos || sql.size() - start < kPragma.size()) return false;
    for (std::size_t i = 0; i < kPragma.size(); ++i) {
        const auto c = static_cast<unsigned char>(sql[start + i]);
        if (std::tolower(c) != kPragma[i]) return false;
    }
    return true;
}

}  // namespace

Database::Database(sqlite3* db) : db_(db), cache_(std::make_shared<detail::StatementCache>()) {}

Expected<Database> Database::open_existing(const std::filesystem::path& path,
                                           const std::string& vfs) {
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs.empty() ? nullptr : vfs.c_str());
    Database db(raw);  // closes the handle on every path, also after a failed open
    if (rc != SQLITE_OK) {
        return std::unexpected(db.error(fmt::format("open {}", path.string())));
    }
    // Without write permission SQLite quietly opens read-only; say so here
    // rather than let the first write fail as if the file were damaged.
    if (sqlite3_db_readonly(raw, "main") == 1) {
        return fail(fmt::format(
            "open {}: SQLite opened it read-only (no write permission), but the journal must be "
            "writable",
            path.string()));
    }
    return db;
}

void Database::close() noexcept {
    if (cache_) {
        cache_->open = false;
        std::erase_if(cache_->statements, [](auto& entry) {
            if (entry.second.in_use) return false;  // finalized by its Statement
            sqlite3_finalize(entry.second.stmt);
            return true;
        });
        cache_.reset();
    }
    // With statements still checked out, SQLite closes the connection when
    // the last of them is finalized.
    sqlite3_close_v2(db_);
    db_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        cache_ = std::move(other.cache_);
    }
    return *this;
}

Database::~Database() {
    close();
}

Expected<Statement> Database::checkout(std::string_view sql, bool* more) {
    *more = false;
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return fail("SQL text too long");
    }
    auto& statements = cache_->statements;
    const bool cacheable = !is_pragma(sql);
    const auto found = cacheable ? statements.find(sql) : statements.end();
    if (found != statements.end() && !found->second.in_use) {
        return Statement(db_, cache_, &found->second);
    }
    // Nested use of a cached text gets a statement of its own, not kept.
    const bool keep = cacheable && found == statements.end() &&
                      statements.size() < detail::StatementCache::kMaxStatements;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      keep ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, &tail);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return std::unexpected(error(sql));
    }
    *more = tail && !is_blank(sql.substr(static_cast<std::size_t>(tail - sql.data())));
    if (keep && stmt && !*more) {
        auto [slot, added] = statements.emplace(std::string(sql), detail::CachedStatement{stmt});
        return Statement(db_, cache_, &slot->second);
    }
    return Statement(db_, stmt);
}

Expected<Statement> Database::prepare(std::string_view sql) {
    bool more = false;
    return checkout(sql, &more);
}

Expected<void> Database::exec(std::string_view sql) {
    bool more = false;
    {
        auto stmt = checkout(sql, &more);
        if (!stmt) return std::unexpected(stmt.error());
        if (!more) return stmt->run();
    }
    // Several statements (migrations): rare, so no point keeping them.
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return std::unexpected(error(sql));
    }
    return {};
}

Expected<Database::Claim> Database::claim_exclusively() {
    if (auto ok = exec("PRAGMA locking_mode=EXCLUSIVE"); !ok) return std::unexpected(ok.error());
    // BEGIN EXCLUSIVE takes the lock (waiting up to the busy timeout); the
    // empty COMMIT writes nothing, and in exclusive locking mode the
    // connection keeps the lock until it closes.
    auto begin = prepare("BEGIN EXCLUSIVE");
    if (!begin) return std::unexpected(begin.error());
    const int rc = sqlite3_step(begin->stmt_);
    if ((rc & 0xff) == SQLITE_BUSY) return Claim::held_elsewhere;
    if (rc != SQLITE_DONE) return std::unexpected(begin->error());
    if (auto ok = exec("COMMIT"); !ok) return std::unexpected(ok.error());
    return Claim::acquired;
}

Expected<void> Database::sync_wal() {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK)
        return fail("SQLite did not give the write-ahead log's file");
    if (file == nullptr || file->pMethods == nullptr) return {};
    // The flags a FULL commit uses on Linux (no fullfsync): fdatasync.
    const int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
    if (rc != SQLITE_OK)
        return fail(fmt::format("SQLite: {} (code {}) syncing the write-ahead log",
                                sqlite3_errstr(rc), rc));
    return {};
}

Expected<std::string> Database::read_file_start(std::size_t n) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
        !file->pMethods) {
        return fail("SQLite has no open file for the database");
    }
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) return fail("read too long");
    std::string bytes(n, '\0');
    const int rc = file->pMethods->xRead(file, bytes.data(), static_cast<int>(n), 0);
    // A short read is not an error here: SQLite fills the rest with zeros.
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
        return fail(fmt::format("SQLite: {} (code {}) reading the file's first {} bytes",
                                sqlite3_errstr(rc), rc, n));
    }
    return bytes;
}

void Database::set_progress_handler(int every, int (*handler)(void*), void* arg) {
    sqlite3_progress_handler(db_, every, handler, arg);
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

Statement::Statement(sqlite3* db, std::shared_ptr<detail::StatementCache> cache,
                     detail::CachedStatement* slot)
    : db_(db), stmt_(slot->stmt), cache_(std::move(cache)), slot_(slot) {
    slot_->in_use = true;
}

void Statement::release() noexcept {
    if (slot_ && cache_->open) {
        // The reset ends any read it was in the middle of; clearing the
        // bindings frees SQLite's copies of the bound values (command output,
        // env) instead of keeping them until the next use.
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        slot_->in_use = false;
    } else {
        sqlite3_finalize(stmt_);
        if (slot_) *slot_ = detail::CachedStatement{};
    }
    stmt_ = nullptr;
    slot_ = nullptr;
    cache_.reset();
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        release();
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
        cache_ = std::move(other.cache_);
        slot_ = std::exchange(other.slot_, nullptr);
    }
    return *this;
}

Statement::~Statement() {
    release();
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
    if (!stmt_) return false;  // the SQL held no statement: nothing to run
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Words first: the reset may change the connection's error message.
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
