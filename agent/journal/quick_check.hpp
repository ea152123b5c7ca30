#pragma once
// The result of Journal::quick_check(): SQLite's `PRAGMA quick_check` of the
// journal for the `database` health check (protocol.md §3.2), bounded in
// time.

#include <chrono>
#include <string>

namespace outpost::journal {

struct QuickCheck {
    bool ok = false;
    std::string detail;  // "ok", or SQLite's first complaint
    std::chrono::steady_clock::duration took{};
};

}  // namespace outpost::journal
