// Journal::open: file checks, pragmas, integrity check and migrations.

#include <fmt/format.h>

#include <string>
#include <vector>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/journal.hpp"
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

Expected<void> secure_companions(const std::filesystem::path& path) {
    for (const auto& file : {path, wal_path(path), shm_path(path)}) {
        if (auto ok = restrict_to_owner(file); !ok) return ok;
    }
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
    const auto where = [&](const Error& e) {
        return std::unexpected(e.context(fmt::format("opening journal {}", path.string())));
    };

    // 1. Files: refuse anything group/others can reach before SQLite opens it.
    auto facts = inspect_private_file(path);
    if (!facts) return where(facts.error());
    for (const auto& companion : {wal_path(path), shm_path(path)}) {
        auto companion_facts = inspect_private_file(companion);
        if (!companion_facts) return where(companion_facts.error());
    }
    if (!*facts) {
        if (auto created = create_private_file(path); !created) return where(created.error());
    } else if ((*facts)->size > 0) {
        if (auto header = check_sqlite_header(path); !header) {
            return std::unexpected(corrupt(path, header.error()));
        }
    }

    auto db = sqlite::Database::open_existing(path);
    if (!db) return where(db.error());
    db->set_busy_timeout(static_cast<int>(options.busy_timeout.count()));

    // 2. Read-only checks first: nothing is written to a file we would refuse.
    auto version = read_user_version(*db);
    if (!version) return std::unexpected(corrupt(path, version.error()));
    if (*version > current_schema_version()) {
        return std::unexpected(Error(fmt::format(
            "journal {} has schema version {}, newer than this agent supports ({}): it was "
            "written by a newer agent; refusing to open it (upgrade the agent, or move the file "
            "aside)",
            path.string(), *version, current_schema_version())));
    }
    if (auto checked = quick_check(*db, path); !checked) return std::unexpected(checked.error());

    // 3. Pragmas. journal_mode is persistent in the file; the others are per
    //    connection.
    if (auto ok = expect_pragma(*db, "PRAGMA journal_mode=WAL", "wal"); !ok)
        return where(ok.error());
    if (auto ok = secure_companions(path); !ok) return where(ok.error());
    const char* sync_sql =
        options.sync == SyncMode::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (auto ok = db->exec(sync_sql); !ok) return where(ok.error());
    if (auto ok = db->exec("PRAGMA foreign_keys=ON"); !ok) return where(ok.error());
    if (auto ok = expect_pragma(*db, "PRAGMA foreign_keys", "1"); !ok) return where(ok.error());

    // 4. Schema.
    auto migrated = migrate(*db, migrations());
    if (!migrated) return where(migrated.error());
    if (auto ok = secure_companions(path); !ok) return where(ok.error());

    return Journal(std::move(*db), path, options, *migrated);
}

}  // namespace outpost::journal
