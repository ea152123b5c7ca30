#include "agent/journal/schema.hpp"

#include <fmt/format.h>

#include <array>

namespace outpost::journal {

namespace {

// Times are Unix milliseconds (UTC). Booleans are 0/1. STRICT tables make
// SQLite check the column types.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE commands (
    request_id        TEXT PRIMARY KEY NOT NULL
                      CHECK (length(request_id) BETWEEN 1 AND 128),
    command           TEXT NOT NULL,
    timeout_ms        INTEGER,
    stdin_data        TEXT NOT NULL DEFAULT '',
    received_at       INTEGER NOT NULL,
    not_after         INTEGER,
    approval_deadline INTEGER,
    started_at        INTEGER,
    finished_at       INTEGER,
    state             TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'queued', 'running',
                          'succeeded', 'failed', 'timed_out', 'cancelled', 'rejected',
                          'interrupted')),
    exit_code         INTEGER,
    signal            TEXT,
    stdout            TEXT NOT NULL DEFAULT '',
    stderr            TEXT NOT NULL DEFAULT '',
    stdout_truncated  INTEGER NOT NULL DEFAULT 0,
    stderr_truncated  INTEGER NOT NULL DEFAULT 0,
    duration_ms       INTEGER,
    reason            TEXT,
    delivered_at      INTEGER,
    CHECK ((finished_at IS NULL) = (state IN ('awaiting_approval', 'queued', 'running')))
) STRICT;
CREATE INDEX commands_by_state ON commands (state);
CREATE INDEX commands_undelivered ON commands (finished_at)
    WHERE delivered_at IS NULL AND finished_at IS NOT NULL;

CREATE TABLE command_args (
    request_id TEXT NOT NULL REFERENCES commands (request_id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (request_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE command_env (
    request_id TEXT NOT NULL REFERENCES commands (request_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (request_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('telemetry', 'alert', 'health', 'status')),
    payload     TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_by_kind ON outbox (kind, id);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE state (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

constexpr std::array<Migration, 1> kMigrations{{
    {1, "commands, outbox, counters and state tables", kV1},
}};

}  // namespace

std::span<const Migration> migrations() {
    return kMigrations;
}

int current_schema_version() {
    return kMigrations.back().version;
}

Expected<int> read_user_version(sqlite::Database& db) {
    auto stmt = db.prepare("PRAGMA user_version");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return fail("PRAGMA user_version returned no row");
    return static_cast<int>(stmt->int64(0));
}

Expected<int> migrate(sqlite::Database& db, std::span<const Migration> steps) {
    auto version = read_user_version(db);
    if (!version) return version;
    const int latest = steps.empty() ? 0 : steps.back().version;
    if (*version > latest) {
        return fail(fmt::format(
            "schema version {} is newer than this agent supports ({}); it was written by a "
            "newer agent, refusing to open it",
            *version, latest));
    }
    if (*version < 0) return fail(fmt::format("invalid schema version {}", *version));
    for (const Migration& step : steps) {
        if (step.version <= *version) continue;
        if (step.version != *version + 1) {
            return fail(fmt::format("no migration step from schema version {} to {}", *version,
                                    *version + 1));
        }
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) return std::unexpected(tx.error());
        // user_version is set inside the same transaction: the step and its
        // version number land together or not at all.
        auto applied = db.exec(step.sql);
        if (applied) applied = db.exec(fmt::format("PRAGMA user_version = {}", step.version));
        if (applied) applied = tx->commit();
        if (!applied) {
            return std::unexpected(applied.error().context(
                fmt::format("migrating to schema version {} ({})", step.version, step.name)));
        }
        *version = step.version;
    }
    return version;
}

}  // namespace outpost::journal
