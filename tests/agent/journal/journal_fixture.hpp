#pragma once
// Shared helpers for the journal tests: a temp dir removed at the end, fixed
// millisecond-aligned times, and small builders.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include "agent/journal/journal.hpp"
#include "agent/journal/sqlite.hpp"
#include "tests/support/temp_dir.hpp"

// REQUIRE for an Expected, showing the error's words when it fails.
#define REQUIRE_OK(expr)                                                        \
    do {                                                                        \
        auto&& require_ok_ = (expr);                                            \
        if (!require_ok_) FAIL(#expr << ": " << require_ok_.error().message()); \
    } while (false)

namespace journal_test {

namespace j = outpost::journal;
using namespace std::chrono_literals;

using TempDir = outpost::test_support::TempDir;

// 2026-05-01T00:00:00Z, and times relative to it.
inline j::TimePoint at(std::chrono::milliseconds offset = 0ms) {
    return j::TimePoint(std::chrono::milliseconds(1'777'593'600'000) + offset);
}

inline j::CommandSpec spec(const std::string& request_id, const std::string& command = "uptime") {
    j::CommandSpec s;
    s.request_id = request_id;
    s.command = command;
    return s;
}

inline j::CommandResult result(j::CommandState state, std::chrono::milliseconds finished = 0ms) {
    j::CommandResult r;
    r.state = state;
    if (state == j::CommandState::succeeded) r.exit_code = 0;
    if (state == j::CommandState::failed) r.exit_code = 1;
    if (state == j::CommandState::rejected) r.reason = "not allow-listed";
    r.finished_at = at(finished);
    return r;
}

inline j::Journal open_journal(const std::filesystem::path& path,
                               j::SyncMode sync = j::SyncMode::full) {
    auto journal = j::Journal::open(path, sync);
    if (!journal) FAIL("open: " << journal.error().message());
    return std::move(*journal);
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The first column of the first row of `sql` as text (the row must exist).
inline std::string first_text(outpost::journal::sqlite::Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt);
    auto row = stmt->step();
    REQUIRE(row);
    REQUIRE(*row);
    return stmt->text(0);
}

}  // namespace journal_test
