// Journal: the mark that makes a journal that went backwards detectable.
//
// The database keeps an epoch (state 'journal.epoch') and a generation
// (counters 'journal.generation'); the mark file beside it (mark_file.hpp)
// mirrors them. The generation advances in the first write transaction after
// the mark file caught up with it, and the mark file records a generation
// only once the commit that carried it is durable (a commit synced by
// itself, a group sync, a confirmed off-loop sync, or maintenance's sync in
// normal mode). So the file is never ahead of what is on disk: a kill -9 or
// a power cut leaves the database at or past it, while a lost, cut or
// damaged WAL, a replaced or older journal.db, leaves it behind — refused at
// open. One extra UPDATE per sync cycle (a group-commit batch), one pwrite of
// the mark file after its sync, off the hot path otherwise.

#include <fmt/format.h>

#include "agent/journal/file_mode.hpp"
#include "agent/journal/journal.hpp"
#include "agent/journal/mark_check.hpp"

namespace outpost::journal {

namespace {

constexpr std::string_view kWayOut =
    "the record of past request_ids may have lost entries, so a redelivered command could run "
    "a second time: no command runs until an operator accepts that with `outpost journal "
    "accept-reset` (agent stopped; see docs/runbooks/journal.md)";

Error went_backwards(const std::filesystem::path& db_path, const std::string& cause) {
    return Error(ErrorKind::journal, fmt::format("journal {} went backwards: {}; {}",
                                                 db_path.string(), cause, kWayOut));
}

Expected<void> write_db_mark(sqlite::Database& db, const JournalMark& mark) {
    auto tx = sqlite::Transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    auto epoch = db.prepare(
        "INSERT INTO state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = "
        "?2");
    if (!epoch) return std::unexpected(epoch.error());
    auto ok = epoch->bind_all(kEpochKey, mark.epoch);
    if (ok) ok = epoch->run();
    if (!ok) return ok;
    auto generation = db.prepare(
        "INSERT INTO counters (name, value) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO UPDATE SET value = ?2");
    if (!generation) return std::unexpected(generation.error());
    ok = generation->bind_all(kGenerationCounter, static_cast<std::int64_t>(mark.generation));
    if (ok) ok = generation->run();
    if (!ok) return ok;
    return tx->commit();
}

}  // namespace

Expected<std::optional<JournalMark>> read_db_mark(sqlite::Database& db, int schema_version) {
    // Version 1 created the state and counters tables.
    if (schema_version < 1) return std::optional<JournalMark>{};
    auto epoch = db.prepare("SELECT value FROM state WHERE key = ?");
    if (!epoch) return std::unexpected(epoch.error());
    if (auto ok = epoch->bind_all(kEpochKey); !ok) return std::unexpected(ok.error());
    auto row = epoch->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<JournalMark>{};
    JournalMark mark;
    mark.epoch = epoch->text(0);
    auto generation = db.prepare("SELECT value FROM counters WHERE name = ?");
    if (!generation) return std::unexpected(generation.error());
    if (auto ok = generation->bind_all(kGenerationCounter); !ok) return std::unexpected(ok.error());
    row = generation->step();
    if (!row) return std::unexpected(row.error());
    // Both are written in one transaction: an epoch without its counter is
    // a damaged file.
    if (!*row) return fail(ErrorKind::journal, "the journal has an epoch but no generation");
    mark.generation = static_cast<std::uint64_t>(generation->int64(0));
    return std::optional<JournalMark>{std::move(mark)};
}

Expected<void> check_not_behind(const std::filesystem::path& db_path,
                                const std::optional<JournalMark>& in_db,
                                const std::optional<JournalMark>& in_file) {
    if (!in_file) return {};
    const std::string file = mark_path(db_path).string();
    if (!in_db) {
        return std::unexpected(went_backwards(
            db_path,
            fmt::format("it holds no journal epoch, but {} says it reached epoch {} generation "
                        "{}: {} was replaced by a new or empty (0-byte) file, or its "
                        "write-ahead log ({}) was lost before its first checkpoint",
                        file, in_file->epoch, in_file->generation, db_path.filename().string(),
                        wal_path(db_path).filename().string())));
    }
    if (in_db->epoch != in_file->epoch) {
        return std::unexpected(went_backwards(
            db_path, fmt::format("it is journal epoch {}, but {} says epoch {}: it is another "
                                 "journal (a copy from another node or from before an "
                                 "accept-reset)",
                                 in_db->epoch, file, in_file->epoch)));
    }
    if (in_db->generation < in_file->generation) {
        return std::unexpected(went_backwards(
            db_path,
            fmt::format("it is at generation {}, but {} says it reached generation {} (epoch "
                        "{}): its write-ahead log ({}) was deleted, truncated or damaged, or "
                        "{} was restored from an older copy",
                        in_db->generation, file, in_file->generation, in_file->epoch,
                        wal_path(db_path).filename().string(), db_path.filename().string())));
    }
    return {};
}

Expected<void> Journal::establish_mark(const std::optional<JournalMark>& db_mark,
                                       const std::optional<JournalMark>& file_mark,
                                       MarkCheck check) {
    const std::filesystem::path file = mark_path(path_);
    const bool new_epoch_due = check == MarkCheck::start_new_epoch || !db_mark;
    if (new_epoch_due) {
        auto epoch = new_epoch();
        if (!epoch) return std::unexpected(epoch.error());
        // The generation carries on (it only ever advances in the file);
        // the new epoch is what tells this journal from its past.
        mark_ = JournalMark{*epoch, db_mark ? db_mark->generation : 0};
        if (auto ok = write_db_mark(db_, mark_); !ok) return ok;
    } else {
        mark_ = *db_mark;
    }
    if (new_epoch_due || !file_mark) {
        // Database first, durably, then the file: a crash in between leaves
        // a database ahead of (or without) the file, never behind it.
        if (auto ok = db_.sync_wal(); !ok) return ok;
        if (auto ok = replace_mark(file, mark_); !ok) return ok;
        mirrored_ = mark_.generation;
    } else {
        mirrored_ = file_mark->generation;
    }
    auto writer = MarkWriter::open(file);
    if (!writer) return std::unexpected(writer.error());
    mark_writer_.emplace(std::move(*writer));
    return {};
}

Expected<bool> Journal::advance_generation_if_due() {
    // Due once the mark file holds the generation: one advance per sync
    // cycle, however many commits share it.
    if (!mark_writer_ || mark_.generation != mirrored_) return false;
    auto stmt = db_.prepare("UPDATE counters SET value = value + 1 WHERE name = ?");
    if (!stmt) return std::unexpected(stmt.error());
    auto ok = stmt->bind_all(kGenerationCounter);
    if (ok) ok = stmt->run();
    if (!ok) return std::unexpected(ok.error());
    return true;
}

void Journal::after_commit() {
    // A FULL commit fdatasyncs the WAL file: every frame before it is then
    // on disk, the deferred and relaxed commits' included.
    if (options_.sync == SyncMode::full && !syncs_deferred_ && !relaxed_commit_) {
        mirror_mark(mark_.generation);
    }
}

void Journal::mirror_mark(std::uint64_t g) {
    if (!mark_writer_ || g <= mirrored_) return;
    // A failed write leaves the older mark: less evidence, never a false
    // alarm. The next durable commit tries again.
    if (mark_writer_->advance(JournalMark{mark_.epoch, g})) mirrored_ = g;
}

void Journal::settle_mark() {
    if (!mark_writer_) return;
    if (options_.sync == SyncMode::normal && mark_.generation > mirrored_ && !syncs_deferred_) {
        if (db_.sync_wal()) mirror_mark(mark_.generation);
    }
    (void)mark_writer_->sync();
}

Expected<JournalMark> Journal::accept_reset(const std::filesystem::path& path,
                                            const Options& options) {
    auto journal = open_with(path, options, MarkCheck::start_new_epoch);
    if (!journal) return std::unexpected(journal.error());
    return journal->mark();
}

}  // namespace outpost::journal
