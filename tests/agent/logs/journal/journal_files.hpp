#pragma once
// Journal files for the tests, written by the real systemd-journal-remote
// from journal export format the test composes (/work/shared/test-peers.md):
// no running journald, and the files are what sd-journal reads in
// production.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace outpost::logs::test {

inline constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

// One journal entry. Fields are written in export format; a MESSAGE that is
// not plain printable text goes in the binary form (name, length, bytes).
struct Entry {
    std::string unit;  // _SYSTEMD_UNIT; empty: none
    std::string message;
    std::uint64_t realtime_usec = 0;
    std::vector<std::string> fields;  // more `NAME=value` fields (UNIT=, _PID=)
};

[[nodiscard]] bool journal_remote_available();

// The export-format text of `entries` (monotonic timestamps increasing from
// `first_monotonic`, one boot id).
[[nodiscard]] std::string export_format(const std::vector<Entry>& entries,
                                        std::uint64_t first_monotonic = 1000);

// Appends `entries` to `journal` (DIR/name.journal; created when absent) by
// running systemd-journal-remote on their export text; throws when it fails.
void append_entries(const std::filesystem::path& journal, const std::vector<Entry>& entries);

}  // namespace outpost::logs::test
