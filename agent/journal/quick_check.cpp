// Journal: `PRAGMA quick_check` for the health check, bounded in time.
//
// On the journal's own connection, on the loop: the journal holds its file
// with locking_mode=EXCLUSIVE (journal_open.cpp, claim), so no second
// connection, read-only or not, can read it, and in that mode the WAL index
// lives in this connection's memory only. The bound (a progress handler
// that interrupts the statement) keeps the loop's stall to `limit`; a journal
// too large to check within it is reported as such, not as broken.

#include "agent/journal/quick_check.hpp"

#include <fmt/format.h>

#include "agent/journal/journal.hpp"

namespace outpost::journal {
namespace {

// SQLite calls the handler every this many virtual machine instructions, a
// few microseconds apart.
constexpr int kProgressEvery = 1000;

struct Deadline {
    std::chrono::steady_clock::time_point at;
    bool passed = false;
};

int past_deadline(void* arg) {
    auto* deadline = static_cast<Deadline*>(arg);
    if (std::chrono::steady_clock::now() < deadline->at) return 0;
    deadline->passed = true;
    return 1;  // non-zero interrupts the statement
}

}  // namespace

Expected<QuickCheck> Journal::quick_check(std::chrono::milliseconds limit) {
    const auto started = std::chrono::steady_clock::now();
    Deadline deadline{started + limit};
    db_.set_progress_handler(kProgressEvery, past_deadline, &deadline);
    struct Remove {
        sqlite::Database& db;
        ~Remove() { db.set_progress_handler(0, nullptr, nullptr); }
    } remove{db_};
    // A PRAGMA is never cached (sqlite.hpp), so an interrupted one leaves
    // nothing behind.
    auto stmt = db_.prepare("PRAGMA quick_check(1)");
    if (!stmt) return std::unexpected(wrap(stmt.error(), "quick_check"));
    auto row = stmt->step();
    if (!row) {
        if (deadline.passed) {
            return fail(ErrorKind::timed_out,
                        fmt::format("quick_check did not finish within {} ms", limit.count()));
        }
        return std::unexpected(wrap(row.error(), "quick_check"));
    }
    QuickCheck check;
    check.detail = *row ? stmt->text(0) : std::string("no answer");
    check.ok = check.detail == "ok";
    check.took = std::chrono::steady_clock::now() - started;
    return check;
}

}  // namespace outpost::journal
