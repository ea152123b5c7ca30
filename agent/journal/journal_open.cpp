// Journal::open: file checks, pragmas, integrity check and migrations.

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/mark_check.hpp"
#include "agent/journal/schema.hpp"

namespace outpost::journal {

namespace {

constexpr std::string_view kLeftAlone =
    "the file was left as it is; move it aside to start a new journal (its command history, "
    "and so the at-most-once record of past request_ids, is then lost)";

// Runs a pragma and returns its first column of every row.
Expected<std::vector<std::string>> pragma_rows(sqlite::Database& db, std::string_view sql) {
    auto stmt = db.prepare(sql);
    if (!stmt) return std::unexpected(stmt.error());
    std::vector<std::string> rows;
    for (;;) {
        auto row = stmt->step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return rows;
        rows.push_back(stmt->text(0));
    }
}

Expected<void> expect_pragma(sqlite::Database& db, std::string_view sql, std::string_view want) {
    auto rows = pragma_rows(db, sql);
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty() || (*rows)[0] != want) {
        return fail(fmt::format("{} answered '{}', expected '{}'", sql,
                                rows->empty() ? "" : (*rows)[0], want));
    }
    return {};
}

// A failed read of the file's contents means it is not a usable database.
Error corrupt(const std::filesystem::path& path, const Error& cause) {
    return Error(fmt::format("journal {} is corrupt or not a journal: {}; {}", path.string(),
                             cause.message(), kLeftAlone));
}

Expected<void> quick_check(sqlite::Database& db, const std::filesystem::path& path) {
    auto rows = pragma_rows(db, "PRAGMA quick_check(5)");
    if (!rows) return std::unexpected(corrupt(path, rows.error()));
    if (rows->size() == 1 && (*rows)[0] == "ok") return {};
    std::string found;
    for (const auto& line : *rows) found += (found.empty() ? "" : "; ") + line;
    return std::unexpected(corrupt(path, Error(fmt::format("SQLite quick_check: {}", found))));
}

// A non-empty file must start with the SQLite header before SQLite reads it,
// so a foreign file is never taken for an empty database. Read through
// SQLite's descriptor: an open()/close() of ours would drop the lock of a
// journal this process already has open on the same file.
Expected<void> check_header(sqlite::Database& db, const std::filesystem::path& path) {
    static constexpr std::string_view kMagic{"SQLite format 3\0", 16};
    auto head = db.read_file_start(kMagic.size());
    if (!head) return std::unexpected(head.error());
    if (*head != kMagic) {
        return fail(
            fmt::format("{} is not an SQLite database (it does not start with the SQLite "
                        "header)",
                        path.string()));
    }
    return {};
}

// Another connection held the file for the whole busy timeout. In exclusive
// locking mode a running journal holds it until it closes, so this is nearly
// always a second agent pointed at the same state directory.
Error held_elsewhere(const std::filesystem::path& path, std::chrono::milliseconds waited) {
    return Error(fmt::format(
        "journal {} is locked by another process (probably another outpost with the same "
        "node.state_dir) and stayed locked for {} ms; only one agent may use a journal: stop "
        "the other one, or give this one its own node.state_dir",
        path.string(), waited.count()));
}

// Takes the file for this connection alone, before anything reads it.
Expected<void> claim(sqlite::Database& db, const std::filesystem::path& path,
                     std::chrono::milliseconds busy_timeout) {
    auto claimed = db.claim_exclusively();
    // Taking the lock reads the file's first page: failing that is the same
    // unusable file the read-only checks below would find.
    if (!claimed) return std::unexpected(corrupt(path, claimed.error()));
    if (*claimed == sqlite::Database::Claim::held_elsewhere) {
        return std::unexpected(held_elsewhere(path, busy_timeout));
    }
    return {};
}

// The -shm is normally absent now (exclusive locking keeps the WAL index in
// memory); one left by an older agent is still kept private. A missing file
// is fine.
Expected<void> secure_companions(const std::filesystem::path& path) {
    for (const auto& file : {path, wal_path(path), shm_path(path)}) {
        if (auto ok = restrict_to_owner(file); !ok) return ok;
    }
    return {};
}

// The context every refusal of open() without a message of its own gets.
Error opening(const std::filesystem::path& path, const Error& cause) {
    return cause.context(fmt::format("opening journal {}", path.string()));
}

// The journal file and its companions checked (or the file created), then
// opened by SQLite, a foreign file refused before SQLite reads it.
Expected<sqlite::Database> open_private_database(const std::filesystem::path& path,
                                                 const Options& options) {
    const auto where = [&](const Error& e) { return std::unexpected(opening(path, e)); };
    auto facts = inspect_private_file(path);
    if (!facts) return where(facts.error());
    for (const auto& companion : {wal_path(path), shm_path(path)}) {
        auto companion_facts = inspect_private_file(companion);
        if (!companion_facts) return where(companion_facts.error());
    }
    if (!*facts) {
        if (auto created = create_private_file(path); !created) return where(created.error());
    }

    auto db = sqlite::Database::open_existing(path, options.vfs);
    if (!db) return where(db.error());
    if (*facts && (*facts)->size > 0) {
        if (auto header = check_header(*db, path); !header) {
            return std::unexpected(corrupt(path, header.error()));
        }
    }
    // Bounds the wait for a lock held by someone else, here at open only:
    // once claimed, nobody else can hold the file.
    db->set_busy_timeout(static_cast<int>(options.busy_timeout.count()));
    return db;
}

// The schema version (one this agent can read, else a refusal), after
// SQLite's quick_check of the file.
Expected<int> check_readable(sqlite::Database& db, const std::filesystem::path& path) {
    auto version = read_user_version(db);
    if (!version) return std::unexpected(corrupt(path, version.error()));
    if (*version > current_schema_version()) {
        return std::unexpected(Error(fmt::format(
            "journal {} has schema version {}, newer than this agent supports ({}): it was "
            "written by a newer agent; refusing to open it (upgrade the agent, or move the file "
            "aside)",
            path.string(), *version, current_schema_version())));
    }
    if (auto checked = quick_check(db, path); !checked) return std::unexpected(checked.error());
    return version;
}

// The pragmas every journal connection runs with; the companion files
// are secured once WAL mode may have made them.
Expected<void> set_pragmas(sqlite::Database& db, const std::filesystem::path& path, SyncMode sync) {
    const auto where = [&](const Error& e) { return std::unexpected(opening(path, e)); };
    if (auto ok = expect_pragma(db, "PRAGMA journal_mode=WAL", "wal"); !ok)
        return where(ok.error());
    if (auto ok = secure_companions(path); !ok) return where(ok.error());
    const char* sync_sql =
        sync == SyncMode::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (auto ok = db.exec(sync_sql); !ok) return where(ok.error());
    if (auto ok = db.exec("PRAGMA foreign_keys=ON"); !ok) return where(ok.error());
    if (auto ok = expect_pragma(db, "PRAGMA foreign_keys", "1"); !ok) return where(ok.error());
    return {};
}

}  // namespace

std::string_view to_string(SyncMode mode) {
    return mode == SyncMode::full ? "full" : "normal";
}

std::optional<SyncMode> parse_sync_mode(std::string_view text) {
    if (text == "full") return SyncMode::full;
    if (text == "normal") return SyncMode::normal;
    return std::nullopt;
}

Error Journal::wrap(const Error& error, std::string_view operation) const {
    return error.context(fmt::format("journal {}: {}", path_.string(), operation));
}

Expected<Journal> Journal::open(const std::filesystem::path& path, const Options& options) {
    return open_with(path, options, MarkCheck::compare);
}

Expected<Journal> Journal::open_with(const std::filesystem::path& path, const Options& options,
                                     MarkCheck check) {
    const auto where = [&](const Error& e) { return std::unexpected(opening(path, e)); };

    // 1. Files: refuse anything group/others can reach before SQLite opens it.
    auto db = open_private_database(path, options);
    if (!db) return std::unexpected(db.error());

    // 2. One agent per journal: the connection keeps an exclusive lock until
    //    it closes. That also spares every transaction its fcntl locking and
    //    the -shm mapping. Must precede the first read.
    if (auto ok = claim(*db, path, options.busy_timeout); !ok) return std::unexpected(ok.error());

    // 3. Read-only checks first: nothing is written to a file we would refuse.
    auto version = check_readable(*db, path);
    if (!version) return std::unexpected(version.error());
    // Did it go backwards (a lost WAL, a replaced or older file)? Compared
    // before anything is written, like the checks above.
    auto db_mark = read_db_mark(*db, *version);
    if (!db_mark) return std::unexpected(corrupt(path, db_mark.error()));
    auto file_mark = read_mark(mark_path(path));
    if (!file_mark) {
        // A damaged mark file is one more thing accept-reset accepts; one
        // that is not private is not (that is the file check's refusal).
        if (check != MarkCheck::start_new_epoch || file_mark.error().kind() != ErrorKind::journal) {
            return where(file_mark.error());
        }
        file_mark = std::optional<JournalMark>{};
    }
    if (check == MarkCheck::compare) {
        if (auto ok = check_not_behind(path, *db_mark, *file_mark); !ok) {
            return std::unexpected(ok.error());
        }
    }

    // 4. Pragmas. journal_mode is persistent in the file; the others are per
    //    connection.
    if (auto ok = set_pragmas(*db, path, options.sync); !ok) return std::unexpected(ok.error());

    // 5. Schema.
    auto migrated = migrate(*db, migrations());
    if (!migrated) return where(migrated.error());
    if (auto ok = secure_companions(path); !ok) return where(ok.error());

    Journal journal(std::move(*db), path, options, *migrated);
    if (auto ok = journal.establish_mark(*db_mark, *file_mark, check); !ok) {
        return where(ok.error().context("journal mark"));
    }
    return journal;
}

}  // namespace outpost::journal
